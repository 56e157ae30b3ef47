import { clockParam, nowSql, type Clock } from '../kernel/clock';
import type { Queryable } from './database';
import { TABLES } from './entities/table-names';
import { insertHandoffJob } from './handoff.enqueue';
import type { InboxAcceptInput, InboxAcceptResult } from './inbox.types';
import { DEFAULT_MAX_ATTEMPTS } from './handoff.types';
import { InboxGroupCommit } from './inbox.group-commit';
import { invalidArgument, requirePositiveInteger, requireText } from './invalid-argument';
import { jsonParam, toNumber } from './sql-values';

/**
 * The dedupe ledger of inbound events (P7, P9). Intake calls
 * `db.tx((q) => inbox.accept(q, input))` and acknowledges DingTalk only after the commit.
 */
export class InboxRepository {
  /** One group committer per database handle this repository writes through. */
  private readonly groups = new WeakMap<Queryable, InboxGroupCommit>();

  /** `db` is only needed for purging; accept() runs on the caller's transaction. */
  constructor(
    private readonly db?: Queryable,
    private readonly now?: Clock,
  ) {}

  /**
   * Records the event and enqueues its job, in the caller's transaction. A second delivery of the
   * same (integration, event id) — sequential or concurrent — inserts nothing: ON CONFLICT DO NOTHING
   * waits for a concurrent inserter's outcome, so exactly one transaction wins the row and the job.
   */
  async accept(q: Queryable, input: InboxAcceptInput): Promise<InboxAcceptResult> {
    requireText('integrationId', input.integrationId);
    requireText('eventId', input.eventId);
    requireText('kind', input.kind);
    const rows = await q.query<{ id: string }>(
      `INSERT INTO ${TABLES.inbox} (integration_id, event_id, kind, conversation_id, sender_id, received_at)
       VALUES ($1, $2, $3, $4, $5, ${nowSql(6)})
       ON CONFLICT (integration_id, event_id) DO NOTHING
       RETURNING id`,
      [input.integrationId, input.eventId, input.kind, input.conversationId ?? null, input.senderId ?? null, clockParam(this.now)],
    );
    if (rows.length === 0) return { accepted: false };
    const job = await insertHandoffJob(q, { ...input.job, integrationId: input.integrationId }, this.now);
    return { accepted: true, jobId: job.id };
  }

  /**
   * The same as `db.tx(q => accept(q, input))` in ONE statement: the inbox insert and the job insert
   * are two CTE parts of a single INSERT, which PostgreSQL runs atomically without BEGIN/COMMIT round
   * trips. This is the intake hot path (DingTalk waits for the answer).
   */
  async acceptAtomic(db: Queryable, input: InboxAcceptInput): Promise<InboxAcceptResult> {
    requireText('integrationId', input.integrationId);
    requireText('eventId', input.eventId);
    requireText('kind', input.kind);
    requireText('job.kind', input.job.kind);
    const maxAttempts = requirePositiveInteger('job.maxAttempts', input.job.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, 1000);
    const rows = await db.query<{ id: string }>(
      `WITH inboxed AS (
         INSERT INTO ${TABLES.inbox} (integration_id, event_id, kind, conversation_id, sender_id, received_at)
         VALUES ($1, $2, $3, $4, $5, ${nowSql(6)})
         ON CONFLICT (integration_id, event_id) DO NOTHING
         RETURNING id)
       INSERT INTO ${TABLES.handoff} (kind, integration_id, session_key, payload, max_attempts, run_at, arrived_at, created_at, updated_at)
       SELECT $7, $1, $8, $9::jsonb, $10::int, COALESCE($11::timestamptz, ${nowSql(6)}), COALESCE($12::timestamptz, ${nowSql(6)}), ${nowSql(6)}, ${nowSql(6)}
         FROM inboxed
       RETURNING id`,
      [
        input.integrationId,
        input.eventId,
        input.kind,
        input.conversationId ?? null,
        input.senderId ?? null,
        clockParam(this.now),
        input.job.kind,
        input.job.sessionKey ?? null,
        jsonParam(input.job.payload ?? {}),
        maxAttempts,
        input.job.runAt ?? null,
        input.job.arrivedAt ?? null,
      ],
    );
    return rows.length === 0 ? { accepted: false } : { accepted: true, jobId: String(rows[0].id) };
  }

  /**
   * The same result as acceptAtomic, but concurrent calls on the same `db` share one statement and
   * one commit (InboxGroupCommit). Each call still resolves only after its own row is committed.
   */
  acceptGrouped(db: Queryable, input: InboxAcceptInput): Promise<InboxAcceptResult> {
    let group = this.groups.get(db);
    if (!group) {
      group = new InboxGroupCommit({ db, now: this.now, acceptOne: (one) => this.acceptAtomic(db, one) });
      this.groups.set(db, group);
    }
    return group.accept(input);
  }

  /** Deletes inbox rows received before `date`; returns how many. */
  async purgeOlderThan(date: Date): Promise<number> {
    if (!this.db) throw invalidArgument('InboxRepository needs a database to purge');
    const rows = await this.db.query<{ n: unknown }>(
      `WITH purged AS (DELETE FROM ${TABLES.inbox} WHERE received_at < $1::timestamptz RETURNING id)
       SELECT count(*)::int AS n FROM purged`,
      [date],
    );
    return toNumber(rows[0]?.n ?? 0);
  }

  /** Whether an event id was already accepted (for diagnostics and tests). */
  async has(integrationId: string, eventId: string): Promise<boolean> {
    if (!this.db) throw invalidArgument('InboxRepository needs a database to look events up');
    const rows = await this.db.query(`SELECT 1 FROM ${TABLES.inbox} WHERE integration_id = $1 AND event_id = $2`, [integrationId, eventId]);
    return rows.length > 0;
  }

  /** Whether the database answers at all: tells an outage from a row it refuses. */
  async answers(db: Queryable): Promise<boolean> {
    try {
      await db.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Whether PostgreSQL refused the row itself (class 22 data exception, e.g. a NUL in a text; class 23
 * integrity violation), as opposed to being unavailable: such an event would fail the same way later.
 */
export function isRefusedRow(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code ?? (error as { driverError?: { code?: unknown } } | null)?.driverError?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}
