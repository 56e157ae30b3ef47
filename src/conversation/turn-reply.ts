import { logRef } from '../kernel/log-value';
import type { DingTalkIntegration } from '../kernel/integration';
import { t } from '../i18n';
import type { ReplySession } from '../reply/reply.port';
import type { ReplyTarget } from '../kernel/run-context';
import type { ExpertRunInput, ExpertRunResult, ExpertRunner } from '../runner/expert-runner.port';
import { turnActions } from './action-links';
import type { ConversationCore } from './conversation.deps';
import { isPermanentFailure } from '../handoff/job-handler.port';
import { RUN_STOPPED_CODE } from './run-cancellations';

export interface StreamedTurn {
  integration: Pick<DingTalkIntegration, 'id' | 'options'>;
  runner: ExpertRunner;
  input: ExpertRunInput;
  target: ReplyTarget;
  /** Idempotency key of the turn (the inbound event id): reply sends and the run ledger hang off it. */
  key: string;
  /** The interrupt this turn answers (a resume); dropped once the turn ran. */
  answersInterruptId?: string;
  /** Aborted by `/stop` or End conversation: the run is cancelled and its answer finished as stopped. */
  stop?: AbortSignal;
}

/**
 * Runs a streamed turn and delivers it: open the reply session (keyed by the event id), feed every
 * runner event into it, then finish with the signed actions — "End conversation" always, Confirm /
 * Reject too when the run stopped for a decision (the pending interrupt is stored first, so the
 * links work as soon as they are shown). A run that ends in error is still finished: the reply path
 * then tells the user the expert could not answer (never silence).
 */
export async function runStreamedTurn(core: ConversationCore, turn: StreamedTurn): Promise<ExpertRunResult> {
  const { deps, logger } = core;
  const { input, target, key } = turn;
  const ledger = await core.ledger.lookup(key, target);
  const session = await deps.reply.open(target, key);
  let result = ledger.result;
  if (result) {
    logger.debug(`turn ${key}: expert already answered in an earlier attempt; finishing the reply only`);
  } else {
    // A failure to deliver (DingTalk or our database away) must not cut the expert off: the run is
    // read to the end and its result recorded, so the retry redoes the reply, not the expert's work.
    let deliveryError: unknown;
    let streamed = '';
    const stop = turn.stop;
    const runInput = stop ? { ...input, signal: input.signal ? AbortSignal.any([input.signal, stop]) : stop } : input;
    try {
      result = await turn.runner.run(runInput, async (event) => {
        if (event.type === 'text') streamed += event.delta;
        if (deliveryError !== undefined) return;
        try {
          await session.onEvent(event);
        } catch (error) {
          deliveryError = error ?? new Error('reply delivery failed');
          logger.warn(`turn ${logRef(key)}: delivering the answer failed; reading the run to its end so it is not asked again`);
        }
      });
    } catch (error) {
      // Our own stop, not a shutdown: the run is over for good and its answer ends here.
      if (!stop?.aborted || input.signal?.aborted) throw error;
      logger.log(`turn ${logRef(key)}: stopped by the user`);
      result = { text: streamed, status: 'error', errorCode: RUN_STOPPED_CODE, error: 'stopped by the user' };
    }
    await core.ledger.record(ledger, result, input.signal);
    if (deliveryError !== undefined) throw deliveryError;
  }
  await finishStreamedTurn(core, { ...turn, input }, result, session);
  return result;
}

/** What finishing a turn needs to know about it (a streamed run, or a run dispatched through the host). */
export interface FinishedTurn {
  integration: Pick<DingTalkIntegration, 'id' | 'options'>;
  input: Pick<ExpertRunInput, 'sessionKey' | 'xpertId' | 'threadId'>;
  key: string;
  answersInterruptId?: string;
  /** Where the answer goes: in a group only the asker may answer Confirm / Reject. */
  target: Pick<ReplyTarget, 'conversationType'>;
}

/**
 * The end of a turn whose run result is known: the pending interrupt (stored before its links are
 * shown), the session's activity, then the reply's closing (rest of the text, card finalized, the
 * signed actions). Safe to repeat: every send is keyed.
 */
export async function finishStreamedTurn(core: ConversationCore, turn: FinishedTurn, result: ExpertRunResult, session: ReplySession): Promise<void> {
  const { deps, logger } = core;
  const { input, key } = turn;
  if (turn.answersInterruptId) await core.state.clearPendingInterrupt(input.sessionKey, turn.answersInterruptId);
  let interruptId: string | undefined;
  if (result.status === 'interrupted' && result.interrupt) {
    interruptId = key;
    await core.state.setPendingInterrupt(input.sessionKey, {
      id: interruptId,
      xpertId: input.xpertId,
      threadId: input.threadId,
      operation: result.interrupt.operation ?? null,
      prompt: result.interrupt.prompt,
      createdAt: new Date(deps.now()).toISOString(),
    });
  }
  if (result.status === 'error' && result.errorCode !== RUN_STOPPED_CODE) logger.warn(`turn ${logRef(key)}: expert run ended with an error code=${result.errorCode ?? 'none'}`);
  await core.sessions.touch(input.sessionKey);
  const actions = turnActions({ publicBaseUrl: deps.publicBaseUrl, integration: turn.integration, sessionKey: input.sessionKey, threadId: input.threadId, now: deps.now(), interruptId, group: turn.target.conversationType === 'group' });
  await session.finish(result, actions);
}

/**
 * Runs `work`; if it throws on the job's LAST attempt, or with an error no retry can fix (either way
 * the job is about to dead-letter), first tells the user the expert could not answer, so a dead
 * letter is never silent in the chat. Aborts (shutdown) are not the last word and say nothing.
 */
export async function withLastAttemptNotice<T>(
  core: ConversationCore,
  request: { target: ReplyTarget; key: string; lastAttempt: boolean; signal?: AbortSignal },
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if ((request.lastAttempt || isPermanentFailure(error)) && !request.signal?.aborted) {
      try {
        await core.deps.reply.notice(request.target, `${request.key}:failed`, t(request.target.language, 'reply.expertError'));
        // A card this answer left streaming is finalized by the abandoned-card sweep.
        await core.deps.reply.abandon?.(request.key);
      } catch {
        core.logger.warn(`turn ${logRef(request.key)}: could not tell the user about the failure either`);
      }
    }
    throw error;
  }
}
