import type { JobHandler } from '../handoff/job-handler.port';
import type { HandoffJob } from '../persistence';
import { ConversationCore, type ConversationDeps } from './conversation.deps';
import { invalidPayload, isRecord, JOB_KINDS, requireIntegrationId, type FlushJobPayload } from './job-payloads';

/** `flush`: the summary window of a buffer version has passed; dispatch it if still the newest. */
export class FlushJobHandler implements JobHandler<FlushJobPayload> {
  readonly kind = JOB_KINDS.flush;

  constructor(private readonly deps: ConversationDeps) {}

  async handle(job: HandoffJob<FlushJobPayload>): Promise<void> {
    const integrationId = requireIntegrationId(this.kind, job.payload);
    const payload = job.payload;
    if (!isRecord(payload) || typeof payload.sessionKey !== 'string' || !payload.sessionKey || !Number.isInteger(payload.version)) {
      throw invalidPayload(this.kind, 'sessionKey or version is missing');
    }
    const core = await ConversationCore.open(this.deps);
    const events = await core.aggregator.flush({ integrationId, sessionKey: payload.sessionKey, version: payload.version, flushAt: Number(payload.flushAt) });
    if (events) this.deps.wake?.();
    core.logger.debug(
      events ? `flush: ${events.length} message(s) dispatched as one turn` : `flush: version ${payload.version} superseded; nothing to do`,
    );
  }
}
