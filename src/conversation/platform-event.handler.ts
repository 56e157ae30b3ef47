import type { JobHandler } from '../handoff/job-handler.port';
import type { HandoffJob } from '../persistence';
import { silentRunnerLogger, type RunnerLogger } from '../runner/expert-runner.port';
import { isRecord, JOB_KINDS, type PlatformEventJobPayload } from './job-payloads';

/**
 * `platform_event`: subscribed DingTalk events (`robot_msg_recall`, `chat_add_member`, …). None
 * needs an action yet; they are acknowledged (the job completes) and logged by type only — their
 * data may name people and is never logged.
 */
export class PlatformEventJobHandler implements JobHandler<PlatformEventJobPayload> {
  readonly kind = JOB_KINDS.platformEvent;

  constructor(private readonly logger: RunnerLogger = silentRunnerLogger) {}

  async handle(job: HandoffJob<PlatformEventJobPayload>): Promise<void> {
    const event = isRecord(job.payload) && isRecord(job.payload.event) ? job.payload.event : undefined;
    const eventType = typeof event?.eventType === 'string' ? event.eventType : 'unknown';
    this.logger.debug(`platform event ${eventType} acknowledged (integration=${job.integrationId})`);
  }
}
