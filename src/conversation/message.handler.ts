import type { JobContext, JobHandler } from '../handoff/job-handler.port';
import { sessionKeyFor } from '../kernel/session-key';
import type { HandoffJob } from '../persistence';
import { logRef } from '../kernel/log-value';
import { t } from '../i18n';
import { ConversationCore, replyTargetOf, resolveIntegration, type ConversationDeps } from './conversation.deps';
import { isStopCommand } from './run-cancellations';
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
    if (isStopCommand(event.text)) {
      // The intake already aborted the running answer; this is the one reply to the command (keyed,
      // so a retry does not repeat it). No expert run, and nothing is buffered.
      const target = replyTargetOf(integration, event);
      await this.deps.reply.notice(target, `${event.eventId}:stop`, t(target.language, 'reply.stopAcknowledged'));
      core.logger.log(`message ${logRef(event.eventId)}: stop command answered`);
      return;
    }

    const trigger = await core.router.trigger(integrationId);
    const window = core.router.summaryWindowSeconds(trigger);
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
      jobId: job.id,
      trigger,
    });
  }
}
