import type { ExpertRunResult, ExpertStreamEvent } from '../runner/expert-runner.port';
import type { ReplyTarget } from '../kernel/run-context';

/** Links the final message and interrupt prompts carry. */
export interface ReplyActions {
  /** Signed "End conversation" link (omit to send no such action). */
  endUrl?: string;
  /** Signed Confirm / Reject links for an interrupted run. */
  confirmUrl?: string;
  rejectUrl?: string;
}

/**
 * One answer being streamed back. `key` makes every send idempotent: segment n of an answer is
 * stored in the outbox under `${key}:seg:${n}` (and the card under `${key}:card`), so a retried job
 * never posts a segment twice (P15).
 */
export interface ReplySession {
  /** Feed every runner event in order. */
  onEvent(event: ExpertStreamEvent): Promise<void>;
  /** After the run resolved: flush the rest, finalize the card, add the actions. */
  finish(result: ExpertRunResult, actions: ReplyActions): Promise<void>;
}

export interface ReplyPort {
  open(target: ReplyTarget, key: string): Promise<ReplySession>;
  /** One short message (not connected, session ended, expert error), idempotent by key. */
  notice(target: ReplyTarget, key: string, text: string, actions?: ReplyActions): Promise<void>;
  /** The answer of `key` will never be finished (its job gave up): its card goes to the sweep that finalizes abandoned cards. */
  abandon?(key: string): Promise<void>;
}
