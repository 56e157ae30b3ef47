import { Controller, Get, Inject, Logger, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DingTalkError } from '../errors';
import { Public } from '../http/public.decorator';
import { DINGTALK_CLOCK } from '../tokens';
import { actionLinkSecret, integrationIdOf, verifyActionLink } from './action-link';
import { actionPage } from './action-page';
import { IntakeService } from './intake.service';
import { IntegrationResolver } from './integration-resolver';
import { refuseLegacyActionLink } from './legacy-action-link';
import { runInIntegrationContext } from './request-context';

/**
 * `GET /api/dingtalk/action?…&action=dingtalk:end` — the target of "End conversation" and
 * Confirm/Reject links. The signed link is the credential; the action is queued like any event,
 * so a double click (same signature) is one job.
 */
@Controller('dingtalk/action')
@Public()
export class ActionController {
  private readonly logger = new Logger('DingTalkAction');

  constructor(
    private readonly integrations: IntegrationResolver,
    private readonly intake: IntakeService,
    @Inject(DINGTALK_CLOCK) private readonly now: () => number,
  ) {}

  @Get()
  async open(@Query() query: Record<string, string | undefined>, @Res() response: Response): Promise<void> {
    if (refuseLegacyActionLink(query, response)) return;
    let language: string | undefined;
    try {
      const integrationId = integrationIdOf(query);
      if (!integrationId) throw new DingTalkError('dingtalk_action_link_invalid', 'Action link without integration.', 400);
      const integration = await this.integrations.resolve(integrationId);
      language = integration.options.preferredLanguage;
      const link = verifyActionLink(query, actionLinkSecret(integration.options.clientSecret), this.now());
      await runInIntegrationContext(integration, () =>
        this.intake.accept(integration, {
          kind: 'action',
          eventId: `action:${link.signature}`,
          action: link.action,
          sessionKey: link.sessionKey,
          params: link.params ?? {},
        }),
      );
      response.status(200).type('html').send(actionPage(language, link.action === 'dingtalk:end' ? 'ended' : 'confirmed'));
    } catch (error) {
      const status = error instanceof DingTalkError && error.httpStatus < 500 ? error.httpStatus : 503;
      this.logger.warn(`action link refused code=${error instanceof DingTalkError ? error.code : 'internal'}`);
      response.status(status).type('html').send(actionPage(language, 'invalid'));
    }
  }
}
