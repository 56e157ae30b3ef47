import { DispatchRunRepository } from '../persistence';
import type { ReplyTarget } from '../reply/reply.port';
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

/**
 * Hands a turn to the host's dispatch. The run row is written first (it carries everything the
 * answer needs: where it goes, which session and thread), then the dispatch is enqueued, then the
 * row is marked dispatched — so a retried job never dispatches a turn twice once the host took it.
 * A crash between enqueue and mark leaves `pending`, and the retry sends the same message id again.
 */
export async function dispatchTurn(core: ConversationCore, turn: DispatchedTurn): Promise<void> {
  const { input, target, key } = turn;
  const runs = new DispatchRunRepository(core.db);
  const { run } = await runs.begin({
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
    await turn.runner.run({ ...input, runId: key, integrationId: target.integrationId }, () => undefined);
    await runs.markDispatched(key);
    core.logger.debug(`turn ${key}: dispatched to the host`);
  } else {
    core.logger.debug(`turn ${key}: already dispatched (${run.status}); not sent again`);
  }
  await core.sessions.touch(input.sessionKey);
}
