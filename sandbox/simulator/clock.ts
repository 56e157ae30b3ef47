/**
 * The simulator's clock. Token expiry, the 24 h recall window, session webhooks and the rate limit
 * all read it, so a test can jump ahead (`advance`) instead of waiting. Time keeps flowing from the
 * base clock, so rate limits still behave like the real thing after a jump.
 */
export class SimClock {
  private offsetMs = 0;

  constructor(private readonly base: () => number = Date.now) {}

  now(): number {
    return this.base() + this.offsetMs;
  }

  /** Moves the clock forward (or back with a negative value). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
