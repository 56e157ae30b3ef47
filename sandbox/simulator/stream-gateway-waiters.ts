import type { AckResult } from './stream-gateway-frames';

/**
 * Promises tests await instead of sleeping: one per push until its ACK (or `{acked: false}` after the
 * timeout), and condition watchers re-checked whenever a connection opens or closes.
 */
export class AckWaiters {
  private readonly byMessage = new Map<string, Set<{ resolve(result: AckResult): void; timer: NodeJS.Timeout }>>();

  constructor(private readonly timeoutMs: number) {}

  wait(messageId: string): Promise<AckResult> {
    return new Promise((resolve) => {
      const set = this.byMessage.get(messageId) ?? new Set();
      this.byMessage.set(messageId, set);
      const waiter = {
        resolve,
        timer: setTimeout(() => {
          set.delete(waiter);
          resolve({ acked: false, messageId });
        }, this.timeoutMs),
      };
      set.add(waiter);
    });
  }

  /** Every waiter of this messageId gets the ACK (a redelivery's ACK also answers the first push). */
  settle(result: AckResult): void {
    const set = this.byMessage.get(result.messageId);
    this.byMessage.delete(result.messageId);
    for (const waiter of set ?? []) {
      clearTimeout(waiter.timer);
      waiter.resolve(result);
    }
  }

  /** Resolves everything still waiting with `{acked: false}` and clears the timers. */
  abandonAll(): void {
    for (const messageId of [...this.byMessage.keys()]) this.settle({ acked: false, messageId });
  }
}

export class Watchers {
  private readonly checks = new Set<() => void>();

  /** Resolves with the first defined value of `check`, evaluated now and on every `notify()`. */
  until<T>(check: () => T | undefined): Promise<T> {
    return new Promise((resolve) => {
      const run = () => {
        const value = check();
        if (value === undefined) return;
        this.checks.delete(run);
        resolve(value);
      };
      this.checks.add(run);
      run();
    });
  }

  notify(): void {
    for (const run of [...this.checks]) run();
  }
}
