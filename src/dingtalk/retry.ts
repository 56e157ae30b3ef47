/**
 * Capped exponential backoff with full jitter ("AWS full jitter"): the n-th retry waits a random
 * time in [0, min(maxMs, baseMs·2ⁿ)]. Jitter spreads retries of many callers that were throttled
 * together, so they do not hit DingTalk's per-second limit again in lock-step.
 */

export interface BackoffPolicy {
  /** Retries after the first attempt; 0 = try once. */
  maxRetries: number;
  baseMs: number;
  maxMs: number;
  /** Uniform in [0, 1). Injected so tests get deterministic delays. */
  random: () => number;
}

/** Delay before retry number `retry` (0-based). A server hint, if any, is honoured up to `maxMs`. */
export function backoffDelay(retry: number, policy: BackoffPolicy, hintMs?: number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** retry);
  const jittered = Math.floor(policy.random() * ceiling);
  if (hintMs === undefined || hintMs <= 0) return jittered;
  return Math.min(policy.maxMs, Math.max(jittered, hintMs));
}

export interface RetryDecision {
  retryable: boolean;
  retryAfterMs?: number;
}

export interface RetryOptions {
  policy: BackoffPolicy;
  sleep: (ms: number) => Promise<void>;
  /** How to read an error; anything it does not call retryable is thrown at once. */
  classify: (error: unknown) => RetryDecision;
  /** Called before each wait (for debug logs). */
  onRetry?: (error: unknown, retry: number, delayMs: number) => void;
}

/** Runs `attempt` until it succeeds, fails with a non-retryable error, or retries run out. */
export async function withRetry<T>(attempt: (index: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let index = 0; ; index++) {
    try {
      return await attempt(index);
    } catch (error) {
      const decision = options.classify(error);
      if (!decision.retryable || index >= options.policy.maxRetries) throw error;
      const delay = backoffDelay(index, options.policy, decision.retryAfterMs);
      options.onRetry?.(error, index, delay);
      await options.sleep(delay);
    }
  }
}
