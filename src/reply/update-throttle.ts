/**
 * Paces streaming card updates. Pure (time is passed in).
 *
 * At most one update per interval. The interval is the larger of this answer's own (which doubles,
 * up to `maxMs`, each time DingTalk throttles an update anyway) and the fair share `floorMs` gives
 * it (the streaming budget split between all answers streaming now). No text is lost that way,
 * because every update carries the whole answer so far (`isFull`), so a skipped one is covered by
 * the next.
 */
export class UpdateThrottle {
  private own: number;
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly floorMs: (now: number) => number = () => 0,
  ) {
    this.own = baseMs;
  }

  get intervalMs(): number {
    return this.own;
  }

  /** Milliseconds until the next update is allowed (0 = now). */
  waitMs(now: number): number {
    return Math.max(0, this.lastAt + Math.max(this.own, this.floorMs(now)) - now);
  }

  updated(now: number): void {
    this.lastAt = now;
  }

  /** DingTalk refused for rate: back off by doubling, counting from now. */
  throttled(now: number): void {
    this.own = Math.min(this.own * 2, Math.max(this.baseMs, this.maxMs));
    this.lastAt = now;
  }
}
