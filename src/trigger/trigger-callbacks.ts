import { Injectable } from '@nestjs/common';

/**
 * What the host hands `publish()`: on a 3.7 host it queues a run of the expert and reads only
 * `payload.state`. It may return a promise (the queue insert) or nothing.
 */
export type TriggerCallback = (payload: unknown) => unknown;

/**
 * The runtime callbacks of the experts published on THIS process, keyed by xpertId. They cannot be
 * stored in the database (they are closures of the host), so each replica knows only the callbacks
 * its own host published — the runner selector uses that to decide whether this replica can run an
 * expert through the host, or must leave the job to a replica that can.
 */
@Injectable()
export class TriggerCallbacks {
  private readonly callbacks = new Map<string, TriggerCallback>();

  /** Idempotent: a re-publish replaces the earlier callback of the expert. */
  register(xpertId: string, callback: TriggerCallback): void {
    this.callbacks.set(xpertId, callback);
  }

  /** Without `callback`, removes whatever is registered; with it, only if it is still that one. */
  unregister(xpertId: string, callback?: TriggerCallback): boolean {
    if (callback && this.callbacks.get(xpertId) !== callback) return false;
    return this.callbacks.delete(xpertId);
  }

  get(xpertId: string): TriggerCallback | undefined {
    return this.callbacks.get(xpertId);
  }

  has(xpertId: string): boolean {
    return this.callbacks.has(xpertId);
  }

  xpertIds(): string[] {
    return [...this.callbacks.keys()];
  }
}
