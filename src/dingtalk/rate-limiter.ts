/**
 * Client-side limiter: at most `perSecond` calls per key (the client uses one key per API path)
 * reach DingTalk inside any one-second window. DingTalk allows 20 calls/s per app per API and answers
 * more with `QpsLimitForAppkeyAndApi`; waiting here is cheaper than being throttled and retried.
 *
 * How: each key has `perSecond` permits. A call takes one before it starts and gives it back one
 * window (plus a small guard) AFTER its answer arrived. DingTalk counts arrivals, and a request
 * arrives before its answer comes back, so two calls holding the same permit in turn arrive more than
 * a window apart — whatever the network latency. (Spacing by start times alone is not enough: a
 * cold connection can delay the first burst past the spacing, and the next burst then lands in the
 * same server second. A token bucket is worse: a full bucket plus its refill lets 2N through.)
 * Waiters are served first come, first served; nothing spins, so it works with any injected sleep.
 */

export interface RateLimiterOptions {
  /** Calls per second per key; 0 (or less) disables limiting. */
  perSecond: number;
  /** Window length. Default 1000 ms. */
  windowMs?: number;
  /** Extra spacing against clock granularity. Default 50 ms. */
  guardMs?: number;
  /** Waits before a permit is returned. */
  sleep: (ms: number) => Promise<void>;
}

/** Call when the call's answer (or failure) arrived. Idempotent. */
export type ReleasePermit = () => void;

interface KeyState {
  available: number;
  waiters: Array<() => void>;
}

export class RollingWindowRateLimiter {
  private readonly keys = new Map<string, KeyState>();
  private readonly holdMs: number;
  private readonly enabledAtStart: boolean;
  private limit: number;

  constructor(private readonly options: RateLimiterOptions) {
    this.holdMs = (options.windowMs ?? 1000) + (options.guardMs ?? 50);
    this.limit = Math.max(0, Math.floor(options.perSecond));
    this.enabledAtStart = this.limit > 0;
  }

  get enabled(): boolean {
    return this.enabledAtStart;
  }

  /** Calls per second per key now (Infinity when limiting is off). */
  get perSecond(): number {
    return this.enabled ? this.limit : Number.POSITIVE_INFINITY;
  }

  /**
   * Changes the limit, e.g. when the replicas sharing an app's budget change. Permits in use stay
   * in use: after a cut, new calls wait until enough came back; after a raise, waiters start at once.
   * 0 holds every call until a later raise; ignored when limiting is off.
   */
  setPerSecond(perSecond: number): void {
    if (!this.enabled) return;
    const next = Math.max(0, Math.floor(perSecond));
    const delta = next - this.limit;
    if (delta === 0) return;
    this.limit = next;
    for (const [key, state] of [...this.keys]) {
      state.available += delta;
      this.serve(key, state);
    }
  }

  /** Resolves when the caller may start; the returned function must be called when it finished. */
  async acquire(key: string): Promise<ReleasePermit> {
    if (!this.enabled) return () => undefined;
    const state = this.stateOf(key);
    if (state.available > 0 && state.waiters.length === 0) {
      state.available--;
    } else {
      // The releaser hands its permit straight to us (available stays unchanged).
      await new Promise<void>((resolve) => state.waiters.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      void this.options.sleep(this.holdMs).then(() => this.giveBack(key, state));
    };
  }

  private stateOf(key: string): KeyState {
    let state = this.keys.get(key);
    if (!state) {
      state = { available: this.limit, waiters: [] };
      this.keys.set(key, state);
    }
    return state;
  }

  private giveBack(key: string, state: KeyState): void {
    state.available++;
    this.serve(key, state);
  }

  /** Hands free permits to waiters, first come first served. */
  private serve(key: string, state: KeyState): void {
    while (state.available > 0 && state.waiters.length > 0) {
      state.available--;
      state.waiters.shift()!();
    }
    // Forget idle keys so the map does not grow with every path ever called.
    if (state.waiters.length === 0 && state.available >= this.limit && this.keys.get(key) === state) this.keys.delete(key);
  }
}
