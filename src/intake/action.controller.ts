import { Controller, Get, HttpCode, Inject, Logger, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { checkActionTarget, type ActionRefusal } from '../conversation/action-gate';
import { GROUP_PARAM } from '../conversation/action-links';
import { PluginDatabase } from '../core/plugin-database.service';
import { DingTalkError } from '../kernel/errors';
import { failureCause } from '../http/failure-cause';
import { Public } from '../http/public.decorator';
import { DINGTALK_CLOCK } from '../kernel/tokens';
import { actionEventOf, actionLinkSecret, integrationIdOf, verifyActionLink, type ActionLink } from '../kernel/action-link';
import { actionPage, pendingActionPage, type ActionPageOutcome, type PendingAction } from './action-page';
import { IntakeService } from './intake.service';
import { IntegrationResolver } from '../integration/integration-resolver';
import { type DingTalkIntegration } from '../kernel/integration';
import { refuseLegacyActionLink } from './legacy-action-link';
import { runInIntegrationContext } from './request-context';
import { firstValues } from '../http/first-values';


const PENDING: Record<string, PendingAction> = { 'dingtalk:end': 'end', 'dingtalk:confirm': 'confirm', 'dingtalk:reject': 'reject' };

const REFUSALS: Record<ActionRefusal | 'asker_only', { status: number; page: ActionPageOutcome }> = {
  not_this_integration: { status: 403, page: 'invalid' },
  outdated: { status: 410, page: 'outdated' },
  used: { status: 409, page: 'used' },
  asker_only: { status: 403, page: 'askerOnly' },
};

/**
 * `/api/dingtalk/action?…` — the target of "End conversation" and Confirm/Reject links. The signed
 * link is the credential. A GET only shows what would happen and a button; the button POSTs, and
 * only a POST queues the action (link previewers GET). Every action is bound to its integration,
 * to the conversation it was issued for and is single-use (see the action gate).
 */
@Controller('dingtalk/action')
@Public()
export class ActionController {
  private readonly logger = new Logger('DingTalkAction');

  constructor(
    private readonly integrations: IntegrationResolver,
    private readonly intake: IntakeService,
    private readonly database: PluginDatabase,
    @Inject(DINGTALK_CLOCK) private readonly now: () => number,
  ) {}

  @Get()
  async open(@Query() query: Record<string, unknown>, @Req() request: Request, @Res() response: Response): Promise<void> {
    if (refuseLegacyActionLink(query, response)) return;
    await this.answer(response, query, async (integration, link) => {
      const action = PENDING[link.action] ?? 'choice';
      const refusal = PENDING[link.action] ? await this.refusal(link) : undefined;
      if (refusal) return refusal;
      return { status: 200, html: pendingActionPage(integration.options.preferredLanguage, action, request.originalUrl ?? request.url) };
    });
  }

  @Post()
  @HttpCode(200)
  async act(@Query() query: Record<string, unknown>, @Res() response: Response): Promise<void> {
    if (refuseLegacyActionLink(query, response)) return;
    await this.answer(response, query, async (integration, link) => {
      const refusal = PENDING[link.action] ? await this.refusal(link) : undefined;
      if (refusal) return refusal;
      const outcome = await this.accept(integration, link);
      if (outcome.status === 'duplicate') return REFUSALS.used;
      return { status: 200, page: link.action === 'dingtalk:end' ? 'ended' : 'confirmed' };
    });
  }

  private async refusal(link: ActionLink & { nonce: string }): Promise<{ status: number; page: ActionPageOutcome } | undefined> {
    // A browser carries no DingTalk identity: in a group only the asker's card click may answer.
    if (link.params?.[GROUP_PARAM] === '1' && link.action !== 'dingtalk:end') return REFUSALS.asker_only;
    const refusal = await checkActionTarget(await this.database.open(), link);
    return refusal ? REFUSALS[refusal] : undefined;
  }

  private accept(integration: DingTalkIntegration, link: ActionLink & { nonce: string }) {
    return runInIntegrationContext(integration, () =>
      this.intake.accept(integration, actionEventOf(link)),
    );
  }

  private async answer(
    response: Response,
    rawQuery: Record<string, unknown>,
    work: (integration: DingTalkIntegration, link: ActionLink & { nonce: string }) => Promise<{ status: number; page?: ActionPageOutcome; html?: string }>,
  ): Promise<void> {
    let language: string | undefined;
    const query = firstValues(rawQuery);
    try {
      const integrationId = integrationIdOf(query);
      if (!integrationId) throw new DingTalkError('dingtalk_action_link_invalid', 'Action link without integration.', 400);
      const integration = await this.integrations.resolve(integrationId);
      language = integration.options.preferredLanguage;
      const link = verifyActionLink(query, actionLinkSecret(integration.options.clientSecret), this.now());
      const result = await work(integration, link);
      if (result.status >= 400) this.logger.warn(`action link refused status=${result.status} outcome=${result.page}`);
      response.status(result.status).type('html').send(result.html ?? actionPage(language, result.page ?? 'invalid'));
    } catch (error) {
      const coded = failureCause(error, { code: 'dingtalk_action_unavailable', message: 'Could not take the action; try again.' });
      const status = coded.httpStatus;
      if (status >= 500) this.logger.error(`action link failed code=${coded.code} status=${status} cause=${coded.cause}`);
      else this.logger.warn(`action link refused code=${coded.code}`);
      response.status(status).type('html').send(actionPage(language, status >= 500 ? 'unavailable' : 'invalid'));
    }
  }
}
