import { Controller, Get, HttpCode, Inject, Logger, Param, Post, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import type { PluginConfig } from '../config/plugin-config';
import { DingTalkError } from '../kernel/errors';
import { DingTalkErrorFilter } from '../http/error.filter';
import { Public } from '../http/public.decorator';
import { DINGTALK_CLOCK, DINGTALK_PLUGIN_CONFIG } from '../kernel/tokens';
import { cardNoticeResponse } from './card-click-gate';
import { IntakeService } from './intake.service';
import { IntegrationResolver } from '../integration/integration-resolver';
import { runInIntegrationContext } from './request-context';
import { jsonByteSize } from '../dingtalk/payload-reader';
import { failureCause } from '../http/failure-cause';
import { logValue } from '../kernel/log-value';
import { CardRouteService } from '../integration/card-route.service';
import { looksLikeCardCallback, verifyWebhook, type WebhookRequest } from './webhook-request';
import { firstValues } from '../http/first-values';

/**
 * One public URL per integration for everything DingTalk POSTs in HTTP mode: robot messages,
 * encrypted event callbacks and card callbacks. Verify, parse, hand over, answer — nothing slow
 * happens before the answer (DingTalk wants it within 1500 ms).
 */
@Controller('dingtalk/webhook')
@Public()
@UseFilters(DingTalkErrorFilter)
export class WebhookController {
  private readonly logger = new Logger('DingTalkWebhook');

  constructor(
    private readonly integrations: IntegrationResolver,
    private readonly intake: IntakeService,
    @Inject(DINGTALK_PLUGIN_CONFIG) private readonly config: PluginConfig,
    @Inject(DINGTALK_CLOCK) private readonly now: () => number,
    private readonly cardRoutes: CardRouteService,
  ) {}

  /** Reachability probe for admins and load balancers; reveals nothing but that the URL is right. */
  @Get(':integrationId')
  async probe(@Param('integrationId') integrationId: string) {
    const integration = await this.integrations.resolve(integrationId);
    return { ok: true, provider: integration.provider, mode: integration.options.mode };
  }

  @Post(':integrationId')
  @HttpCode(200)
  async receive(@Param('integrationId') integrationId: string, @Req() request: Request) {
    try {
      return await this.handle(integrationId, toWebhookRequest(request, this.config.webhook.bodyLimitBytes));
    } catch (error) {
      const coded = failureCause(error, UNAVAILABLE);
      const detail = (error as { detail?: unknown })?.detail;
      if (typeof detail === 'string') this.logger.debug(`webhook event rejected detail=${detail}`);
      const line = `webhook rejected integration=${logValue(integrationId)} code=${coded.code} status=${coded.httpStatus}`;
      if (coded.httpStatus >= 500) this.logger.error(`${line} cause=${coded.cause}`);
      else this.logger.warn(line);
      throw coded;
    }
  }

  private async handle(integrationId: string, request: WebhookRequest & { bodyBytes: number | undefined }) {
    if (request.bodyBytes === undefined) {
      throw new DingTalkError('dingtalk_payload_too_deep', 'Request body is nested too deeply to be a DingTalk payload.', 400);
    }
    // Size first: an oversized body is refused before any lookup or decrypt work (P5).
    if (request.bodyBytes > this.config.webhook.bodyLimitBytes) {
      throw new DingTalkError('dingtalk_body_too_large', `Request body exceeds ${this.config.webhook.bodyLimitBytes} bytes.`, 413);
    }
    const integration = await this.integrations.resolve(integrationId);
    const cardApiSecret = integration.options.mode === 'http' && looksLikeCardCallback(request) ? await this.cardRoutes.secretFor(integration.id, integration.options) : undefined;
    const verified = verifyWebhook(request, integration.options, {
      now: this.now(),
      eventWindowMs: this.config.webhook.eventWindowSeconds * 1000,
      cardApiSecret,
    });
    const outcome = await runInIntegrationContext(integration, () => this.intake.accept(integration, verified.event));
    this.logger.debug(`webhook ${verified.type} integration=${logValue(integrationId)} outcome=${outcome.status}`);
    switch (verified.type) {
      case 'event':
        return verified.cipher.encryptReply('success');
      case 'robot':
        // The HTTP answer could carry a reply; ours always comes later, from the worker.
        return { msgtype: 'empty' };
      case 'card':
        return outcome.status === 'ignored' && outcome.reason === 'not_asker' ? cardNoticeResponse(outcome.notice) : {};
    }
  }
}

const UNAVAILABLE = { code: 'dingtalk_intake_unavailable' as const, message: 'Could not store the event, so it was not acknowledged; check the plugin database.' };

/**
 * The size is the declared content-length; a chunked body has none, so the parsed body is measured
 * (iteratively, never by JSON.stringify, which throws on deep nesting). Undefined = nested too deeply.
 */
function toWebhookRequest(request: Request, limit: number): WebhookRequest & { bodyBytes: number | undefined } {
  const declared = Number(request.headers['content-length']);
  const measured = jsonByteSize(request.body ?? '', limit);
  const bodyBytes = measured === undefined ? undefined : Number.isFinite(declared) && declared >= 0 ? Math.max(declared, measured) : measured;
  return {
    headers: firstValues(request.headers),
    query: firstValues(request.query as Record<string, unknown>),
    body: request.body,
    bodyBytes,
  };
}
