/**
 * One API budget per DingTalk app across replicas. Pure (the clock is a parameter).
 *
 * DingTalk limits calls per app per API (20/s, `Forbidden.AccessDenied.QpsLimitForAppkeyAndApi`),
 * whatever process makes them. The replicas calling an app heartbeat in PostgreSQL; each live
 * member takes an equal share of the limit. A newcomer waits (share 0: its calls queue) until the
 * members already there have seen it and cut their own share — one heartbeat for them to notice,
 * plus the time their permits in use take to come back — so the sum never exceeds the limit.
 * A member that stops heartbeating drops out after `staleMs`; the others then take its share.
 */

export interface BudgetTiming {
  heartbeatMs: number;
  /** How long permits stay in use after a call answered (the client's window plus guard). */
  permitHoldMs: number;
}

export function memberShare(limit: number, members: number): number {
  return Math.floor(limit / Math.max(1, members));
}

/** How long a newly joined member waits before it uses its share. */
export function joinDelayMs(timing: BudgetTiming): number {
  return 2 * timing.heartbeatMs + timing.permitHoldMs;
}

/**
 * The share a member uses now. `waitUntil` is undefined for a member that found itself alone at its
 * first beat, else its join time plus the join delay.
 */
export function shareNow(input: { limit: number; members: number; waitUntil?: number; now: number }): number {
  if (input.waitUntil !== undefined && input.now < input.waitUntil) return 0;
  return memberShare(input.limit, input.members);
}

/** A heartbeat older than this counts as a dead member. */
export function staleAfterMs(heartbeatMs: number): number {
  return 4 * heartbeatMs;
}
