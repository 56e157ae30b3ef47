/**
 * Shares the AI-card streaming API among the answers that stream through one client. Pure (the
 * clock is a parameter).
 *
 * Every intermediate update carries the whole text so far (`isFull`), so updates can be spaced out
 * freely without losing text. The client's share of the app's per-API budget (`perSecond`, already
 * divided between the replicas) is split evenly between the answers active now: with N answers and
 * S calls/s, each answer updates at most every N / S seconds — fewer, larger updates under load,
 * and no answer starves the others. `HEADROOM` keeps part of the share for card creates' follow-ups
 * and the final updates, which must land.
 */
const HEADROOM = 0.7;
/** An answer that has not updated for this long no longer counts as active. */
const ACTIVE_MS = 30_000;

export class StreamPacer {
  private readonly active = new Map<string, number>();

  constructor(private readonly perSecond: () => number) {}

  /** The answer `id` is streaming (called at each update). */
  touch(id: string, now: number): void {
    this.active.set(id, now);
  }

  leave(id: string): void {
    this.active.delete(id);
  }

  /** The least time between two updates of one answer now: at least `baseMs`. */
  intervalMs(baseMs: number, now: number): number {
    for (const [id, at] of this.active) if (now - at > ACTIVE_MS) this.active.delete(id);
    const rate = this.perSecond() * HEADROOM;
    if (!Number.isFinite(rate) || rate <= 0) return baseMs;
    return Math.max(baseMs, Math.ceil((Math.max(1, this.active.size) * 1000) / rate));
  }
}

const pacers = new WeakMap<object, StreamPacer>();

/** One pacer per DingTalk client (one app, one budget share). */
export function streamPacerFor(client: { apiShare: number }): StreamPacer {
  let pacer = pacers.get(client);
  if (!pacer) {
    pacer = new StreamPacer(() => client.apiShare);
    pacers.set(client, pacer);
  }
  return pacer;
}
