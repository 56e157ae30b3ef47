import type { BackoffOptions } from './stream-types';

export const DEFAULT_STREAM_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 60000 };

/**
 * Capped exponential backoff with full jitter: a uniform delay in [0, min(maxMs, baseMs * 2^retry)).
 * Full jitter (rather than a fixed or "base + small jitter" delay) spreads many replicas that lost
 * DingTalk at the same moment across the whole window, so they do not reconnect in lockstep; the SDK's
 * own fixed 1 s retry is exactly the storm this avoids. `retry` 0 is the first retry after a healthy
 * connection ended.
 */
export function backoffDelay(retry: number, options: BackoffOptions = DEFAULT_STREAM_BACKOFF, random: () => number = Math.random): number {
  const exponent = Number.isFinite(retry) && retry > 0 ? Math.floor(retry) : 0;
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  // Clamp a misbehaving random source into [0, 1) so the result always stays inside the window.
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return Math.floor(r * Math.max(0, ceiling));
}
