import type { JobHandler } from '../handoff/job-handler.port';
import { t } from '../i18n';
import type { HandoffJob } from '../persistence';
import { admitAction } from './action-gate';
import { ConversationCore, resolveIntegration, type ConversationDeps } from './conversation.deps';
import { invalidPayload, isActionEvent, isRecord, JOB_KINDS, requireIntegrationId, type ActionJobPayload } from './job-payloads';

/**
 * `end_session`: the "End conversation" action. Ends the session (and drops a buffered summary
 * window and a pending confirmation), then confirms in the chat. The confirmation is keyed by the
 * action's event id, so a retried job does not post it twice; it is sent even when the session had
 * already ended (it is still true, and the user just asked).
 */
export class EndSessionJobHandler implements JobHandler<ActionJobPayload> {
  readonly kind = JOB_KINDS.endSession;

  constructor(private readonly deps: ConversationDeps) {}

  async handle(job: HandoffJob<ActionJobPayload>): Promise<void> {
    const integrationId = requireIntegrationId(this.kind, job.payload);
    const event = isRecord(job.payload) ? job.payload.event : undefined;
    if (!isActionEvent(event)) throw invalidPayload(this.kind, 'event is not an action');
    const sessionKey = job.sessionKey ?? event.sessionKey;
    await resolveIntegration(this.deps, integrationId);
    const core = await ConversationCore.open(this.deps);
    const refusal = await admitAction(core.db, { integrationId, event: { ...event, sessionKey }, jobId: job.id, now: new Date(this.deps.now()) });
    if (refusal) {
      // A link of another integration, of an earlier conversation, or already used: nothing changes.
      core.logger.warn(`end session refused code=dingtalk_action_${refusal}`);
      return;
    }
    await endSession(core, sessionKey, event.eventId);
  }
}

/** Shared with card buttons that end a session. */
export async function endSession(core: ConversationCore, sessionKey: string, eventId: string): Promise<boolean> {
  const target = await core.sessions.replyTarget(sessionKey);
  const ended = await core.sessions.end(sessionKey);
  core.logger.log(`session ended by the user (was live: ${ended})`);
  if (target) await core.deps.reply.notice(target, `${eventId}:ended`, t(target.language, 'reply.sessionEnded'));
  return ended;
}
