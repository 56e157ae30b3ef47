import { AggregateRepository, insertHandoffJob, type Database } from '../persistence';
import { JOB_KINDS, type DispatchJobPayload, type FlushJobPayload, type StoredMessageEvent } from './job-payloads';

/**
 * The summary window: messages a person sends in quick succession are answered as ONE turn.
 *
 * A versioned debounce, durable in the aggregate table so it survives restarts and works across
 * replicas. Each message appends to the session's buffer (version + 1, flush_at = now + window)
 * and, in the same transaction, schedules a `flush` job for that version at flush_at. A flush job
 * takes the buffer only if its version is still the newest — older flush jobs find a newer version
 * and do nothing — and, in the same transaction, enqueues a `dispatch` job WITH the session key, so
 * the merged turn runs in the session's order.
 *
 * Flush jobs carry no session key on purpose: they must fire at flush_at even while the session's
 * queue is busy (e.g. an answer still streaming).
 */
export class Aggregator {
  private readonly aggregates: AggregateRepository;

  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {
    this.aggregates = new AggregateRepository(db);
  }

  /** Buffers a message; returns the new version and when it is due. */
  async add(integrationId: string, sessionKey: string, event: StoredMessageEvent, windowSeconds: number): Promise<{ version: number; flushAt: number }> {
    const flushAt = this.now() + Math.max(0, windowSeconds) * 1000;
    const version = await this.db.tx(async (q) => {
      const next = await this.aggregates.append(q, sessionKey, integrationId, event, new Date(flushAt));
      const payload: FlushJobPayload = { integrationId, sessionKey, version: next, flushAt };
      await insertHandoffJob(q, { kind: JOB_KINDS.flush, integrationId, sessionKey: null, payload, runAt: new Date(flushAt) });
      return next;
    });
    return { version, flushAt };
  }

  /** Whether the session has a buffer waiting (a message must then queue behind it, not overtake it). */
  async pending(sessionKey: string): Promise<boolean> {
    return (await this.aggregates.get(sessionKey)) !== null;
  }

  /**
   * Hands the buffer to a `dispatch` job if `payload.version` is still the newest. Returns the
   * messages dispatched, or null when this flush is stale (a newer message arrived, the session
   * ended, or the buffer was already dispatched).
   */
  async flush(payload: FlushJobPayload): Promise<StoredMessageEvent[] | null> {
    const buffer = await this.aggregates.get(payload.sessionKey);
    if (!buffer || buffer.version !== payload.version) return null;
    // Versions restart at 1 once a buffer is taken or cleared: a leftover flush job of an earlier
    // buffer must not dispatch a newer buffer before its own window has passed.
    if (Number.isFinite(payload.flushAt) && buffer.flushAt.getTime() !== payload.flushAt) return null;
    return this.db.tx(async (q) => {
      const events = await this.aggregates.takeIfVersion<StoredMessageEvent>(q, payload.sessionKey, payload.version);
      if (!events) return null;
      const dispatch: DispatchJobPayload = { integrationId: payload.integrationId, sessionKey: payload.sessionKey, events };
      // Stamped with the same clock as intake's arrivals, so the turn keeps its place in the session.
      const arrivedAt = new Date(this.now());
      await insertHandoffJob(q, { kind: JOB_KINDS.dispatch, integrationId: payload.integrationId, sessionKey: payload.sessionKey, payload: dispatch, arrivedAt });
      return events;
    });
  }
}
