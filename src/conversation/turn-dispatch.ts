import { DingTalkError } from '../kernel/errors';
import { ConversationBindingRepository, DispatchRunRepository } from '../persistence';
import type { ReplyTarget } from '../kernel/run-context';
import type { ExpertRunInput, ExpertRunner } from '../runner/expert-runner.port';
import type { ConversationCore } from './conversation.deps';

export interface DispatchedTurn {
  runner: ExpertRunner;
  input: ExpertRunInput;
  target: ReplyTarget;
  /** The turn's idempotency key; also the run id the host's envelopes come back with. */
  key: string;
  answersInterruptId?: string;
}

/** An unfinished earlier run older than this no longer holds the next turn back (a lost run must not block forever). */
export const PREVIOUS_RUN_WAIT_MS = 10 * 60_000;
/** How long one job attempt waits in place for the previous answer before it gives the slot back (a retry). */
export const PREVIOUS_RUN_PATIENCE_MS = 60_000;
const PREVIOUS_RUN_POLL_MS = 250;

/**
 * Hands a turn to the host's dispatch. The session's turns stay in order as with the streamed
 * runners (which answer within their job): while an earlier dispatched run of the session is still
 * answering, the turn waits for it (within the job, then by a retry) instead of dispatching — the
 * next turn must continue the conversation the earlier one opened, not race it.
 *
 * The run row is written first (it carries everything the answer needs: where it goes, which
 * session and thread), then the dispatch is enqueued, then the row is marked dispatched — so a
 * retried job never dispatches a turn twice once the host took it. A crash between enqueue and
 * mark leaves `pending`, and the retry sends the same message id again.
 */
export async function dispatchTurn(core: ConversationCore, turn: DispatchedTurn): Promise<void> {
  const { input, target, key } = turn;
  const runs = new DispatchRunRepository(core.db);
  const waited = await waitForPreviousRun(core, runs, input.sessionKey, key, input.signal);
  // The previous answer may have just told us the session's host conversation: continue it.
  const binding = waited ? await new ConversationBindingRepository(core.db).get(input.sessionKey) : null;
  const conversation = binding && binding.threadId === input.threadId ? binding.xpertConversationId : null;
  const dispatched: ExpertRunInput = conversation ? { ...input, xpertConversationId: conversation } : input;
  const { run } = await runs.begin({
    now: new Date(core.deps.now()),
    runId: key,
    sessionKey: input.sessionKey,
    integrationId: target.integrationId,
    xpertId: input.xpertId,
    threadId: input.threadId,
    replyTarget: target,
    ...(turn.answersInterruptId ? { answersInterruptId: turn.answersInterruptId } : {}),
    ...(input.resume ? { decision: input.resume.decision } : {}),
  });
  if (run.status === 'pending') {
    await turn.runner.run({ ...dispatched, runId: key, integrationId: target.integrationId }, () => undefined);
    await runs.markDispatched(key);
    core.logger.debug(`turn ${key}: dispatched to the host`);
  } else {
    core.logger.debug(`turn ${key}: already dispatched (${run.status}); not sent again`);
  }
  await core.sessions.touch(input.sessionKey);
}

/** Resolves once no earlier answer of the session is streaming; true when it had to wait. */
async function waitForPreviousRun(core: ConversationCore, runs: DispatchRunRepository, sessionKey: string, key: string, signal?: AbortSignal): Promise<boolean> {
  const sleep = core.deps.sleep ?? abortableSleep;
  for (let waited = 0; ; waited += PREVIOUS_RUN_POLL_MS) {
    const earlier = await runs.unfinished(sessionKey, key, new Date(core.deps.now() - PREVIOUS_RUN_WAIT_MS));
    if (!earlier) return waited > 0;
    if (waited >= PREVIOUS_RUN_PATIENCE_MS || signal?.aborted) {
      throw new DingTalkError('dingtalk_dispatch_previous_running', 'The previous answer of this conversation is still streaming; this message is answered right after it.', 409, { runId: earlier });
    }
    if (waited === 0) core.logger.debug(`turn ${key}: waiting for the session's previous answer (${earlier})`);
    await sleep(PREVIOUS_RUN_POLL_MS, signal);
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
