import type { JobContext, JobHandler } from '../handoff/job-handler.port';
import { sessionKeyFor } from '../kernel/session-key';
import type { HandoffJob } from '../persistence';
import { ConversationCore, resolveIntegration, type ConversationDeps } from './conversation.deps';
import { isMessageEvent, JOB_KINDS, jobEvent, type MessageJobPayload } from './job-payloads';
import { TurnDispatcher } from './turn.dispatcher';

/**
 * `message`: one robot message. With a summary window it is buffered (a `flush` job follows);
 * without one it is the turn itself, run right here in the session's queue slot.
 */
export class MessageJobHandler implements JobHandler<MessageJobPayload> {
  readonly kind = JOB_KINDS.message;

  constructor(private readonly deps: ConversationDeps) {}

  async handle(job: HandoffJob<MessageJobPayload>, context: JobContext): Promise<void> {
    const { integrationId, event } = jobEvent(this.kind, job.payload, isMessageEvent, 'a robot message');
    const integration = await resolveIntegration(this.deps, integrationId);
    const sessionKey = job.sessionKey ?? sessionKeyFor(integrationId, event);
    const core = await ConversationCore.open(this.deps);

    const window = core.router.summaryWindowSeconds(await core.router.trigger(integrationId));
    // With a buffer still waiting, even a window of 0 must queue behind it to keep the order.
    if (window > 0 || (await core.aggregator.pending(sessionKey))) {
      const { version } = await core.aggregator.add(integrationId, sessionKey, event, window);
      core.logger.debug(`message ${event.eventId}: buffered for the summary window (version ${version})`);
      return;
    }
    await new TurnDispatcher(core).run({
      integration,
      sessionKey,
      events: [event],
      lastAttempt: job.attempts >= job.maxAttempts,
      signal: context.signal,
    });
  }
}
