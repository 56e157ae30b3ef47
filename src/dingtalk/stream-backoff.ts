import { backoffDelay, type BackoffOptions } from '../kernel/backoff';

export const DEFAULT_STREAM_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 60000 };

/**
 * Wait before the next connect attempt, with the plugin's one backoff (full jitter). Full jitter
 * (rather than a fixed or "base + small jitter" delay) spreads many replicas that lost DingTalk at the
 * same moment across the whole window, so they do not reconnect in lockstep; the SDK's own fixed 1 s
 * retry is exactly the storm this avoids. `failures` 0 is the first retry after a healthy connection
 * ended (a window of one base).
 */
export function reconnectDelay(failures: number, options: BackoffOptions = DEFAULT_STREAM_BACKOFF, random: () => number = Math.random): number {
  const previous = Number.isFinite(failures) && failures > 0 ? Math.floor(failures) : 0;
  return backoffDelay(previous + 1, { baseMs: options.baseMs, maxMs: options.maxMs, random });
}
