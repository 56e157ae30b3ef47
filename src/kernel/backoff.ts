/**
 * The one backoff of the plugin: capped exponential with "full jitter", i.e. a uniformly random
 * delay in [0, min(maxMs, baseMs * 2^(attempt-1))]. The handoff queue (P13), the DingTalk client's
 * in-call retries and the Stream reconnects all use it. Jitter spreads the retries of many callers
 * that failed together (a DingTalk outage, a throttling burst) instead of retrying them in
 * lock-step. Pure: the random source is injectable so tests can pin it. Kept free of imports, so any
 * layer may use it.
 */
export interface BackoffOptions {
  /** Upper bound of the delay after the first failed attempt. */
  baseMs: number;
  /** No delay is ever longer than this. */
  maxMs: number;
  /** A source of numbers in [0, 1); defaults to Math.random. */
  random?: () => number;
}

/** Doubling past 2^30 cannot matter for any sane cap and would only risk overflowing to Infinity. */
const MAX_EXPONENT = 30;

/** The upper bound of the delay for a given attempt, before jitter. */
export function backoffCap(attempt: number, options: Pick<BackoffOptions, 'baseMs' | 'maxMs'>): number {
  const base = Math.max(0, options.baseMs);
  const max = Math.max(0, options.maxMs);
  const exponent = Math.min(Math.max(Math.floor(attempt), 1) - 1, MAX_EXPONENT);
  return Math.min(max, base * 2 ** exponent);
}

/**
 * Delay in whole milliseconds before retrying after `attempt` failed attempts (1 = the first run
 * failed). Always an integer in [0, backoffCap(attempt)]. A server hint (Retry-After, an IP-ban
 * wait) raises the delay to at least the hint, never above maxMs.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, hintMs?: number): number {
  const cap = backoffCap(attempt, options);
  const draw = (options.random ?? Math.random)();
  // Clamp a misbehaving random source instead of producing a negative or over-cap delay.
  const unit = Number.isFinite(draw) ? Math.min(Math.max(draw, 0), 1) : 0;
  const jittered = Math.min(Math.floor(unit * (cap + 1)), Math.floor(cap));
  if (hintMs === undefined || !(hintMs > 0)) return jittered;
  return Math.floor(Math.min(Math.max(0, options.maxMs), Math.max(jittered, hintMs)));
}
