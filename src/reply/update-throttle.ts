/**
 * Paces streaming card updates. Pure (time is passed in).
 *
 * At most one update per `intervalMs`. When DingTalk throttles an update anyway, the interval
 * doubles (up to `maxMs`): fewer, larger updates. No text is lost that way, because every update
 * carries the whole answer so far (`isFull`), so a skipped one is covered by the next.
 */
export class UpdateThrottle {
  private interval: number;
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {
    this.interval = baseMs;
  }

  get intervalMs(): number {
    return this.interval;
  }

  /** Milliseconds until the next update is allowed (0 = now). */
  waitMs(now: number): number {
    return Math.max(0, this.lastAt + this.interval - now);
  }

  updated(now: number): void {
    this.lastAt = now;
  }

  /** DingTalk refused for rate: back off by doubling, counting from now. */
  throttled(now: number): void {
    this.interval = Math.min(this.interval * 2, Math.max(this.baseMs, this.maxMs));
    this.lastAt = now;
  }
}
