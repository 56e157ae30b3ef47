import { randomUUID } from 'node:crypto';
import { clockParam, nowSql, type Clock } from '../kernel/clock';
import type { Queryable } from './database';
import { TABLES } from './entities/table-names';
import { DEFAULT_MAX_ATTEMPTS } from './handoff.types';
import type { InboxAcceptInput, InboxAcceptResult } from './inbox.types';
import { requirePositiveInteger, requireText } from './invalid-argument';

/**
 * Flushes that may be in flight at once: enough to keep a few pooled connections busy, few enough
 * that under load the arrivals pile up into the next batch instead of each taking its own commit.
 */
const DEFAULT_MAX_IN_FLIGHT = 3;
/** One statement carries at most this many events; a bigger backlog is split. */
const MAX_BATCH = 200;

/** Writes a single event on its own (the one-by-one fallback); the repository's acceptAtomic. */
export type AcceptOne = (input: InboxAcceptInput) => Promise<InboxAcceptResult>;

export interface InboxGroupCommitOptions {
  db: Queryable;
  acceptOne: AcceptOne;
  now?: Clock;
  maxInFlight?: number;
  /** Defers a flush to "after the current burst of arrivals"; tests inject a manual trigger. */
  defer?: (flush: () => void) => void;
}

interface Pending {
  input: InboxAcceptInput;
  row: BatchRow;
  resolve: (result: InboxAcceptResult) => void;
  reject: (error: unknown) => void;
}

interface BatchRow {
  ord: number;
  job_id: string;
  integration_id: string;
  event_id: string;
  kind: string;
  conversation_id: string | null;
  sender_id: string | null;
  job_kind: string;
  session_key: string | null;
  payload: unknown;
  max_attempts: number;
  run_at: string | null;
  arrived_at: string | null;
}

/**
 * Group commit for the intake hot path. Every DingTalk delivery must be durable before it is acked
 * (P7), and one commit per request made the commit the bottleneck: each one waits for its own WAL
 * flush. Here the events that arrive while earlier flushes are in flight (or in the same turn of
 * the event loop) are joined into ONE statement, so one commit makes many requests durable:
 *
 * - each caller's promise settles only after the statement holding its row has committed;
 * - the job id is chosen here, so every caller learns whether *its* event got the job: a duplicate
 *   event id in the same batch (or already stored) gets `accepted: false`, and exactly one job exists
 *   per (integration, event id), the first arrival's;
 * - rows go in (integration, event id) order, so two batches never wait on each other in a cycle;
 * - when the joined statement fails (a row the database refuses, a deadlock, a dropped connection),
 *   the batch is retried one event at a time, so a bad row fails only its own request.
 */
export class InboxGroupCommit {
  private readonly queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxInFlight: number;
  private readonly defer: (flush: () => void) => void;

  constructor(private readonly options: InboxGroupCommitOptions) {
    this.maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.defer = options.defer ?? ((flush) => setImmediate(flush));
  }

  accept(input: InboxAcceptInput): Promise<InboxAcceptResult> {
    let row: BatchRow;
    try {
      row = toRow(input);
    } catch (error) {
      // Bad input is refused on its own, before it can join (and fail) anyone's batch.
      return Promise.reject(error);
    }
    return new Promise<InboxAcceptResult>((resolve, reject) => {
      this.queue.push({ input, row, resolve, reject });
      this.schedule();
    });
  }

  /** Events waiting for a flush (for tests and diagnostics). */
  get waiting(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    this.defer(() => {
      this.scheduled = false;
      this.flushNext();
    });
  }

  private flushNext(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight += 1;
      void this.flush(batch).finally(() => {
        this.inFlight -= 1;
        // What arrived meanwhile forms the next batch.
        this.schedule();
      });
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    if (batch.length === 1) return settle(batch[0], () => this.options.acceptOne(batch[0].input));
    let accepted: Set<string>;
    try {
      accepted = await this.write(batch);
    } catch {
      // Which row broke it is unknown: write them one by one, so each request gets its own answer.
      await Promise.all(batch.map((pending) => settle(pending, () => this.options.acceptOne(pending.input))));
      return;
    }
    for (const pending of batch) {
      const jobId = pending.row.job_id;
      pending.resolve(accepted.has(jobId) ? { accepted: true, jobId } : { accepted: false });
    }
  }

  /** One statement: the new inbox rows, then one job per row actually inserted. Returns the job ids. */
  private async write(batch: readonly Pending[]): Promise<Set<string>> {
    const rows = batch.map((pending, ord) => ({ ...pending.row, ord }));
    const rows$ = await this.options.db.query<{ id: unknown }>(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(
           ord int, job_id uuid, integration_id text, event_id text, kind text, conversation_id text, sender_id text,
           job_kind text, session_key text, payload jsonb, max_attempts int, run_at timestamptz, arrived_at timestamptz)),
       first_arrival AS (
         SELECT DISTINCT ON (integration_id, event_id) * FROM input ORDER BY integration_id, event_id, ord),
       inboxed AS (
         INSERT INTO ${TABLES.inbox} (integration_id, event_id, kind, conversation_id, sender_id, received_at)
         SELECT integration_id, event_id, kind, conversation_id, sender_id, ${nowSql(2)}
           FROM first_arrival ORDER BY integration_id, event_id
         ON CONFLICT (integration_id, event_id) DO NOTHING
         RETURNING integration_id, event_id)
       INSERT INTO ${TABLES.handoff} (id, kind, integration_id, session_key, payload, max_attempts, run_at, arrived_at, created_at, updated_at)
       SELECT f.job_id, f.job_kind, f.integration_id, f.session_key, f.payload, f.max_attempts,
              COALESCE(f.run_at, ${nowSql(2)}), COALESCE(f.arrived_at, ${nowSql(2)}), ${nowSql(2)}, ${nowSql(2)}
         FROM first_arrival f JOIN inboxed i ON i.integration_id = f.integration_id AND i.event_id = f.event_id
        ORDER BY f.ord
       RETURNING id`,
      [JSON.stringify(rows), clockParam(this.options.now)],
    );
    return new Set(rows$.map((row) => String(row.id)));
  }
}

async function settle(pending: Pending, write: () => Promise<InboxAcceptResult>): Promise<void> {
  try {
    pending.resolve(await write());
  } catch (error) {
    pending.reject(error);
  }
}

function toRow(input: InboxAcceptInput): BatchRow {
  requireText('integrationId', input.integrationId);
  requireText('eventId', input.eventId);
  requireText('kind', input.kind);
  requireText('job.kind', input.job.kind);
  const maxAttempts = requirePositiveInteger('job.maxAttempts', input.job.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, 1000);
  return {
    ord: 0,
    job_id: randomUUID(),
    integration_id: input.integrationId,
    event_id: input.eventId,
    kind: input.kind,
    conversation_id: input.conversationId ?? null,
    sender_id: input.senderId ?? null,
    job_kind: input.job.kind,
    session_key: input.job.sessionKey ?? null,
    payload: input.job.payload ?? {},
    max_attempts: maxAttempts,
    run_at: input.job.runAt ? input.job.runAt.toISOString() : null,
    arrived_at: input.job.arrivedAt ? input.job.arrivedAt.toISOString() : null,
  };
}
