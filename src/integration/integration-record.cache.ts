import type { IntegrationRecord } from '../kernel/integration';

type HostRecord = IntegrationRecord<Record<string, unknown>>;

/**
 * Integration records as read from the host, kept for `ttlMs`. One answered message resolves its
 * integration at the webhook, in the worker and for the reply; each read is a statement on the
 * host's pool, for a record that changes when an admin saves it.
 *
 * A record is served for at most `ttlMs` after the read that fetched it began, so a change saved on
 * the host takes effect within `ttlMs` even when nobody tells us. When we are told (the 3.17 save
 * and delete hooks, which run just before the host writes), the entry goes at once, and reads of
 * that id are not kept for `ttlMs` afterwards: they may still see the row from before the host's
 * write. Only records that exist are kept — an id nobody saved yet must be found once it is.
 */
export class IntegrationRecordCache {
  private readonly entries = new Map<string, { record: HostRecord; readAt: number }>();
  /** When each recently changed id was last announced. */
  private readonly changedAt = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** The time a read begins: what put() is given once it settled. */
  clock(): number {
    return this.now();
  }

  get(id: string): HostRecord | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    // A clock set back counts as expired: an entry must never outlive its ttl.
    const age = this.now() - entry.readAt;
    if (age >= 0 && age < this.ttlMs) return entry.record;
    this.entries.delete(id);
    return undefined;
  }

  /** Keeps what a read that began at `readAt` returned, unless the id changed since or just before. */
  put(id: string, record: HostRecord | null, readAt: number): void {
    if (!this.enabled) return;
    if (!record) {
      this.entries.delete(id);
      return;
    }
    const changed = this.changedAt.get(id);
    if (changed !== undefined) {
      if (readAt < changed + this.ttlMs) return;
      this.changedAt.delete(id);
    }
    this.entries.set(id, { record, readAt });
  }

  /** A listing of the host's records is fresh news: ids it no longer holds are not served any more. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of [...this.entries.keys()]) if (!ids.has(id)) this.entries.delete(id);
  }

  /** The record is about to change (or go): drop it, and keep no read of it for a while. */
  forget(id: string): void {
    this.entries.delete(id);
    if (this.enabled) this.changedAt.set(id, this.now());
  }
}
