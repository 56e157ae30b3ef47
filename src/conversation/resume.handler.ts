import type { JobContext, JobHandler } from '../handoff/job-handler.port';
import type { HandoffJob } from '../persistence';
import { INTERRUPT_PARAM } from './action-links';
import { admitAction } from './action-gate';
import { ConversationCore, resolveIntegration, type ConversationDeps } from './conversation.deps';
import { ACTIONS, invalidPayload, isActionEvent, isRecord, JOB_KINDS, requireIntegrationId, type ActionJobPayload } from './job-payloads';
import { ResumeDispatcher } from './resume.dispatcher';

/** `resume`: a Confirm or Reject link (or card button) for an interrupted run. */
export class ResumeJobHandler implements JobHandler<ActionJobPayload> {
  readonly kind = JOB_KINDS.resume;

  constructor(private readonly deps: ConversationDeps) {}

  async handle(job: HandoffJob<ActionJobPayload>, context: JobContext): Promise<void> {
    const integrationId = requireIntegrationId(this.kind, job.payload);
    const event = isRecord(job.payload) ? job.payload.event : undefined;
    if (!isActionEvent(event)) throw invalidPayload(this.kind, 'event is not an action');
    if (event.action !== ACTIONS.confirm && event.action !== ACTIONS.reject) throw invalidPayload(this.kind, `action ${event.action} is not confirm/reject`);
    const interruptId = event.params?.[INTERRUPT_PARAM];
    if (!interruptId) throw invalidPayload(this.kind, 'the link names no interrupt');
    const integration = await resolveIntegration(this.deps, integrationId);
    const core = await ConversationCore.open(this.deps);
    const sessionKey = job.sessionKey ?? event.sessionKey;
    const refusal = await admitAction(core.db, { integrationId, event: { ...event, sessionKey }, jobId: job.id, now: new Date(this.deps.now()) });
    if (refusal) {
      core.logger.warn(`resume refused code=dingtalk_action_${refusal}`);
      return;
    }
    await new ResumeDispatcher(core).resume({
      integration,
      sessionKey,
      eventId: event.eventId,
      decision: event.action === ACTIONS.confirm ? 'confirm' : 'reject',
      interruptId,
      lastAttempt: job.attempts >= job.maxAttempts,
      signal: context.signal,
    });
  }
}
