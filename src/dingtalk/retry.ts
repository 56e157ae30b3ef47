import { backoffDelay, type BackoffOptions } from '../kernel/backoff';

/**
 * In-call retries of the DingTalk client, with the plugin's one backoff (capped exponential, full
 * jitter): the n-th retry waits a random time in [0, min(maxMs, baseMs·2ⁿ⁻¹)], so callers that were
 * throttled together do not hit DingTalk's per-second limit again in lock-step.
 */

export interface BackoffPolicy extends Required<BackoffOptions> {
  /** Retries after the first attempt; 0 = try once. */
  maxRetries: number;
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
      const delay = backoffDelay(index + 1, options.policy, decision.retryAfterMs);
      options.onRetry?.(error, index, delay);
      await options.sleep(delay);
    }
  }
}
