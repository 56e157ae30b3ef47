import { logRef } from '../kernel/log-value';
import type { DingTalkIntegration } from '../kernel/integration';
import { earlierSessionKeyFor, isSharedGroupSessionKey } from '../kernel/session-key';
import type { TriggerBinding } from '../persistence';
import type { ExpertRunInput } from '../runner/expert-runner.port';
import { replyTargetOf, type ConversationCore } from './conversation.deps';
import type { StoredMessageEvent } from './job-payloads';
import { toRunContext } from '../kernel/run-context';
import { chooseRunner } from './runner-choice';
import { RUN_STOPPED_CODE } from './run-cancellations';
import { buildTurnInput, type AttachmentDownloader } from './turn-input';
import { dispatchTurn } from './turn-dispatch';
import { runStreamedTurn, withLastAttemptNotice } from './turn-reply';

export interface TurnRequest {
  integration: DingTalkIntegration;
  sessionKey: string;
  /** One message, or the messages merged by the summary window; oldest first. */
  events: readonly StoredMessageEvent[];
  /** The job is on its last attempt: a failure now is final. */
  lastAttempt: boolean;
  signal?: AbortSignal;
  /** The queue job running the turn: a stop recorded for it reaches the run (StopBroadcast). */
  jobId?: string;
  /**
   * The integration's trigger binding, when the job already read it for this message (one read per
   * message); undefined reads it when routing.
   */
  trigger?: TriggerBinding | null;
}

export type TurnOutcome = 'answered' | 'interrupted' | 'failed' | 'delivered_elsewhere' | 'dispatched' | 'not_connected' | 'refused' | 'stopped';

const MAX_TITLE_CHARS = 60;

/**
 * One user turn end to end: route → session → runner → reply.
 *
 * Delivery depends on the runner the selector picks:
 * - `stream` (Xpert API): the answer streams through the reply port, then the closing message with
 *   the signed actions;
 * - `detached` (host trigger callback on a 3.7 host): the host discards the run's output and the
 *   notify middleware inside the expert posts the answer (`autoReply`) from `state.human.dingtalk`.
 *   Nothing is sent from here — no final answer, no empty message, no "End conversation" link (it
 *   would arrive before the answer). The session is still tracked.
 */
export class TurnDispatcher {
  constructor(private readonly core: ConversationCore) {}

  async run(request: TurnRequest): Promise<TurnOutcome> {
    const { core } = this;
    const { integration, sessionKey, events } = request;
    const first = events[0];
    const latest = events[events.length - 1];
    const target = replyTargetOf(integration, latest);
    const key = latest.eventId;

    const shared = isSharedGroupSessionKey(sessionKey);
    // A shared group session is nobody's own: no earlier per-person session moves onto it.
    if (!shared) await core.sessions.adoptEarlierKey(sessionKey, earlierSessionKeyFor(integration.id, latest), latest.senderStaffId || latest.senderId);
    const route = await core.router.route(integration, sessionKey, request.trigger);
    if (!route) {
      const sent = await core.notConnected.send(target, sessionKey);
      core.logger.log(`turn ${logRef(key)}: no expert for integration=${integration.id} (notice ${sent ? 'sent' : 'already sent this hour'})`);
      return 'not_connected';
    }
    if (!(await core.access.admit(integration.id, route, latest, target))) return 'refused';

    return withLastAttemptNotice(core, { target, key, lastAttempt: request.lastAttempt, signal: request.signal }, async () => {
      // Chosen before anything is written: with no way to run the expert here the job is retried.
      const choice = await chooseRunner(core, route.xpertId, route.trigger, toRunContext(target, key), integration);
      const { binding } = await core.sessions.open({
        sessionKey,
        integrationId: integration.id,
        conversationId: latest.conversationId,
        senderId: latest.senderStaffId || latest.senderId,
        xpertId: route.xpertId,
        openingEventId: first.eventId,
        timeoutSeconds: route.timeoutSeconds,
        replyTarget: target,
        live: route.session,
      });
      const turnInput = await buildTurnInput(events, target.language, this.downloader(integration), { labelSenders: shared });
      const input: ExpertRunInput = {
        xpertId: route.xpertId,
        sessionKey,
        threadId: binding.threadId,
        text: turnInput.text,
        ...(turnInput.files.length ? { files: turnInput.files } : {}),
        title: threadTitle(latest),
        language: target.language,
        ...(latest.senderStaffId ? { endUserId: latest.senderStaffId } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
        ...(binding.xpertConversationId ? { xpertConversationId: binding.xpertConversationId } : {}),
      };
      core.logger.debug(`turn ${key}: xpert=${route.xpertId} via=${route.source} runner=${choice.runner.name} messages=${events.length}`);

      if (choice.delivery === 'detached') {
        const entry = await core.ledger.lookup(key, target);
        if (!entry.result) await core.ledger.record(entry, await choice.runner.run(input, () => undefined), request.signal);
        await core.sessions.touch(sessionKey);
        return 'delivered_elsewhere';
      }
      if (choice.delivery === 'dispatched') {
        await dispatchTurn(core, { runner: choice.runner, input, target, key });
        return 'dispatched';
      }
      const running = core.deps.cancellations?.register(sessionKey, request.jobId);
      let result;
      try {
        result = await runStreamedTurn(core, { integration, runner: choice.runner, input, target, key, ...(running ? { stop: running.signal } : {}) });
      } finally {
        running?.release();
      }
      if (result.errorCode === RUN_STOPPED_CODE) return 'stopped';
      return result.status === 'idle' ? 'answered' : result.status === 'interrupted' ? 'interrupted' : 'failed';
    });
  }

  private downloader(integration: DingTalkIntegration): AttachmentDownloader | undefined {
    const files = this.core.deps.files;
    if (!files) return undefined;
    return async (attachment) => {
      const client = files(integration);
      return (await client.getMessageFileDownloadUrl(attachment.downloadCode, integration.options.robotCode || integration.options.clientId)).downloadUrl;
    };
  }
}

/** Shown as the thread's title at the host: the group's name, else the person's nick. */
function threadTitle(event: StoredMessageEvent): string {
  const name = (event.conversationType === 'group' ? event.conversationTitle : event.senderNick) || event.senderNick || '';
  return `DingTalk${name ? ` · ${name}` : ''}`.slice(0, MAX_TITLE_CHARS);
}
