import type { JobHandler } from '../handoff/job-handler.port';
import { logValue } from '../kernel/log-value';
import { actionEventOf, actionLinkSecret, verifyActionLink, type ActionLink } from '../kernel/action-link';
import type { ActionEvent } from '../kernel/inbound-event';
import { InboxRepository, type HandoffJob } from '../persistence';
import { ConversationCore, resolveIntegration, type ConversationDeps } from './conversation.deps';
import { ACTIONS, isActionEvent, isRecord, JOB_KINDS, requireIntegrationId, type ActionJobPayload, type CardActionJobPayload } from './job-payloads';
import { codeOf } from '../trigger/trigger-validator';

/**
 * `card_action`: a button press on one of our interactive cards (or a signed link whose action has
 * no job kind of its own). A card button must carry the signed action link it stands for — either
 * `params.actionUrl` / `params.url`, or the link's query fields (`i`, `s`, `action`, `e`, `p_*`,
 * `sig`) — so the press is verified exactly like an opened link before anything happens. Only the
 * person the session belongs to may press. A verified press is forwarded as an `end_session` or
 * `resume` job ON THE SESSION'S QUEUE (card callbacks carry no session key), with an inbox row for
 * dedupe, in one transaction.
 */
export class CardActionJobHandler implements JobHandler<CardActionJobPayload> {
  readonly kind = JOB_KINDS.cardAction;

  constructor(private readonly deps: ConversationDeps) {}

  async handle(job: HandoffJob<CardActionJobPayload>): Promise<void> {
    const integrationId = requireIntegrationId(this.kind, job.payload);
    const event = isRecord(job.payload) ? job.payload.event : undefined;
    const core = await ConversationCore.open(this.deps);
    if (isActionEvent(event)) {
      // Already verified by the action controller (it is an opened link).
      return this.forward(core, integrationId, event);
    }
    if (!isRecord(event) || event.kind !== 'card_action' || typeof event.eventId !== 'string') {
      core.logger.warn(`card action ignored: payload is not a card callback (integration=${integrationId})`);
      return;
    }
    const integration = await resolveIntegration(this.deps, integrationId);
    const query = linkQueryOf(isRecord(event.params) ? event.params : {});
    if (!query) {
      core.logger.debug('card action ignored: the button carries no signed action');
      return;
    }
    let link: ActionLink & { nonce: string };
    try {
      link = verifyActionLink(query, actionLinkSecret(integration.options.clientSecret), this.deps.now());
    } catch (error) {
      core.logger.warn(`card action refused code=${codeOf(error)}`);
      return;
    }
    if (link.integrationId !== integrationId) {
      core.logger.warn('card action refused code=dingtalk_action_link_integration_mismatch');
      return;
    }
    if (senderOf(link.sessionKey) !== event.userId) {
      core.logger.warn('card action refused code=dingtalk_action_not_session_owner');
      return;
    }
    await this.forward(core, integrationId, actionEventOf(link));
  }

  private async forward(core: ConversationCore, integrationId: string, action: ActionEvent): Promise<void> {
    const kind = action.action === ACTIONS.end ? JOB_KINDS.endSession : action.action === ACTIONS.confirm || action.action === ACTIONS.reject ? JOB_KINDS.resume : undefined;
    if (!kind) {
      core.logger.warn(`card action ignored: unknown action ${logValue(action.action, 64)}`);
      return;
    }
    const payload: ActionJobPayload = { integrationId, event: action };
    const inbox = new InboxRepository();
    const result = await core.db.tx((q) =>
      inbox.accept(q, { integrationId, eventId: action.eventId, kind: 'action', job: { kind, sessionKey: action.sessionKey, payload } }),
    );
    if (result.accepted) this.deps.wake?.();
    core.logger.debug(`card action forwarded as ${kind} (${result.accepted ? 'queued' : 'already queued'})`);
  }
}

/** The signed link a button carries, as query fields. */
export function linkQueryOf(params: Record<string, unknown>): Record<string, string> | undefined {
  const url = typeof params.actionUrl === 'string' ? params.actionUrl : typeof params.url === 'string' ? params.url : undefined;
  if (url) {
    try {
      return Object.fromEntries(new URL(url).searchParams.entries());
    } catch {
      return undefined;
    }
  }
  if (typeof params.sig !== 'string') return undefined;
  const query: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) if (typeof value === 'string') query[key] = value;
  return query;
}

/** The sender part of `integration:conversation:sender` (DingTalk ids contain no colon). */
function senderOf(sessionKey: string): string {
  return sessionKey.slice(sessionKey.lastIndexOf(':') + 1);
}
