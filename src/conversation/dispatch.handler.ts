import type { JobContext, JobHandler } from '../handoff/job-handler.port';
import type { HandoffJob } from '../persistence';
import { ConversationCore, resolveIntegration, type ConversationDeps } from './conversation.deps';
import { invalidPayload, isMessageEvent, isRecord, JOB_KINDS, requireIntegrationId, type DispatchJobPayload } from './job-payloads';
import { TurnDispatcher } from './turn.dispatcher';

/** `dispatch`: the messages of one summary window, answered as one turn in the session's order. */
export class DispatchJobHandler implements JobHandler<DispatchJobPayload> {
  readonly kind = JOB_KINDS.dispatch;

  constructor(private readonly deps: ConversationDeps) {}

  async handle(job: HandoffJob<DispatchJobPayload>, context: JobContext): Promise<void> {
    const integrationId = requireIntegrationId(this.kind, job.payload);
    const payload = job.payload;
    const events = isRecord(payload) && Array.isArray(payload.events) ? payload.events : [];
    if (!events.length || !events.every(isMessageEvent)) throw invalidPayload(this.kind, 'events must be robot messages');
    const sessionKey = job.sessionKey ?? (typeof payload.sessionKey === 'string' ? payload.sessionKey : '');
    if (!sessionKey) throw invalidPayload(this.kind, 'sessionKey is missing');
    const integration = await resolveIntegration(this.deps, integrationId);
    const core = await ConversationCore.open(this.deps);
    await new TurnDispatcher(core).run({ integration, sessionKey, events, lastAttempt: job.attempts >= job.maxAttempts, signal: context.signal, jobId: job.id });
  }
}
