/**
 * A task that a timer and callers may both start, run at most once at a time: a call while a run
 * is in flight gets that run's promise instead of starting another. `stop` ends the timer, refuses
 * new runs and waits for the one in flight, so shutdown never races a half-done pass. Used by the
 * spool drain and the Stream sync.
 */
export class TaskLoop<T> {
  private current?: Promise<T>;
  private timer?: NodeJS.Timeout;
  private ended = false;

  constructor(private readonly task: () => Promise<T>) {}

  get stopped(): boolean {
    return this.ended;
  }

  /** One run (or the one in flight); undefined once stopped. */
  run(): Promise<T> | undefined {
    if (this.ended) return undefined;
    this.current ??= this.task().finally(() => (this.current = undefined));
    return this.current;
  }

  /** Calls `tick` every `intervalMs` until stopped; the timer never keeps the process alive. */
  every(intervalMs: number, tick: () => void): void {
    if (this.ended || this.timer) return;
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  /** Resolves once the run in flight (if any) has settled, whatever its outcome. */
  async settled(): Promise<void> {
    await this.current?.catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.ended = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.settled();
  }
}
