import { clockParam, type Clock } from '../kernel/clock';
import type { Queryable } from './database';
import { TABLES } from './entities/table-names';
import { insertHandoffJob } from './handoff.enqueue';
import { HANDOFF_COLUMNS, toHandoffJob, type HandoffJob, type HandoffStats, type NewHandoffJob } from './handoff.types';
import { requirePositiveInteger, requireText } from './invalid-argument';
import { errorText, isUuid, toNumber } from './sql-values';

const T = TABLES.handoff;
/** Claim batches and listings stay small; a worker that wants more simply claims again. */
const MAX_BATCH = 1000;
/** The "now" of every statement below: the injected clock's reading ($1) or the database clock. */
const CLOCK_CTE = `clock AS (SELECT COALESCE($1::timestamptz, now()) AS now)`;
/** What claiming a job (alias `h`) writes, in both claim statements: owner $3, lease of $4 ms. */
const CLAIM_SET = `status = 'running', lease_owner = $3, lease_until = clock.now + $4::int * interval '1 millisecond', attempts = h.attempts + 1, updated_at = clock.now`;

export interface ClaimOptions {
  /** Who holds the lease: unique per worker (replica id + worker id). */
  owner: string;
  limit: number;
  leaseMs: number;
}

export interface FailOptions {
  /** When to run again. Defaults to now + retryInMs (database clock), or now. */
  retryAt?: Date;
  /** Alternative to retryAt, measured on the repository clock so replicas' clock skew cannot matter. */
  retryInMs?: number;
  /** Dead-letter at once (a permanent failure), whatever attempts remain. */
  dead?: boolean;
}

/**
 * The durable queue (DESIGN §3): claim with FOR UPDATE SKIP LOCKED plus a lease, one job per session
 * at a time in arrival order, retries and dead letters. Every state change is one statement, so it
 * is atomic on its own and never needs a caller's transaction.
 *
 * Status moves: queued → running (claim) → done (complete) | queued (fail with retry, lease expiry,
 * release on shutdown) | dead (fail with no attempts left, or `dead: true`). Only the lease owner may
 * complete, fail or extend a running job; a worker whose lease was reclaimed gets `false`/`null`.
 *
 * Why it is fast: a queue step costs a commit and the index upkeep of a non-HOT row update far more
 * than the lookups, so the design spends as few statements per job as it can —
 * - a completion claims the session's next job in the same statement (completeAndClaimNext), so a
 *   session's backlog flows through one slot at one statement per job, with FIFO guaranteed by the
 *   same "no earlier open job" rule as claim();
 * - the completions one worker makes in the same turn (its slots finishing together) share one
 *   statement, so a worker with 4 slots commits about once per 4 jobs;
 * - the hot statements are prepared once per pooled connection;
 * - only partial indexes that a statement reads are kept (0003, 0010): every status change writes
 *   into each index, so an index nobody reads is pure cost.
 * The plain claim() remains for empty slots (a new session, a chain that ended or hit its bound).
 */
export class HandoffRepository {
  /** Chained completions waiting for this turn's joint statement, per owner and lease. */
  private readonly chainBatches = new Map<string, ChainBatch>();

  constructor(
    private readonly db: Queryable,
    private readonly now?: Clock,
  ) {}

  /** Adds a job through `q` (a transaction's q, or the Database). */
  enqueue<P>(q: Queryable, job: NewHandoffJob<P>): Promise<HandoffJob<P>> {
    return insertHandoffJob(q, job, this.now);
  }

  /**
   * Atomically claims up to `limit` due jobs for `owner`, oldest first. A job is claimable only when
   * no earlier job of the same session — by (arrived_at, seq), see 0013 — is still queued or running
   * (P10), due or not: a message drained late from a spool holds back the later ones. Jobs without a
   * session key are independent. SKIP LOCKED lets concurrent claimers pass each other's rows, and the
   * row's status is re-checked once locked, so a job is never claimed twice (P11).
   */
  async claim<P = unknown>(options: ClaimOptions): Promise<HandoffJob<P>[]> {
    requireText('owner', options.owner);
    requirePositiveInteger('limit', options.limit, MAX_BATCH);
    requirePositiveInteger('leaseMs', options.leaseMs);
    const rows = await this.run(
      'dingtalk_handoff_claim',
      `WITH ${CLOCK_CTE},
       candidates AS (
         SELECT j.id AS claim_id
           FROM ${T} j
          WHERE j.status = 'queued'
            AND j.run_at <= (SELECT now FROM clock)
            AND (j.session_key IS NULL OR NOT EXISTS (
                  SELECT 1 FROM ${T} e
                   WHERE e.session_key = j.session_key
                     AND (e.arrived_at, e.seq) < (j.arrived_at, j.seq)
                     AND e.status IN ('queued', 'running')))
          ORDER BY j.seq
          LIMIT $2
          FOR UPDATE OF j SKIP LOCKED)
       UPDATE ${T} h
          SET ${CLAIM_SET}
         FROM candidates, clock
        WHERE h.id = candidates.claim_id
       RETURNING ${qualified('h')}`,
      [clockParam(this.now), options.limit, options.owner, options.leaseMs],
    );
    // UPDATE … RETURNING has no defined order.
    return rows.map((row) => toHandoffJob<P>(row)).sort((a, b) => a.seq - b.seq);
  }

  /** Marks a job done. False when `owner` no longer holds it (its lease was reclaimed). */
  async complete(id: string, owner: string): Promise<boolean> {
    const rows = await this.db.query(
      `WITH ${CLOCK_CTE}
       UPDATE ${T} h
          SET status = 'done', lease_until = NULL, finished_at = clock.now, updated_at = clock.now
         FROM clock
        WHERE h.id = $2::uuid AND h.lease_owner = $3 AND h.status = 'running'
       RETURNING h.id`,
      [clockParam(this.now), id, owner],
    );
    return rows.length === 1;
  }

  /**
   * Marks a job done and, in the same statement, claims the next due job of the same session for the
   * same owner: the common case "a session's next message was waiting behind this one" then costs
   * one statement and one commit instead of two. The successor is exactly what claim() would allow
   * once this job is done: the session's oldest queued job, due, with no other earlier job of the
   * session queued or running. This job still counts as running in the statement's snapshot, so it
   * is the one earlier job excluded by id — and only when the completion really happened (owner still
   * held the lease); otherwise nothing is claimed. Concurrent claimers either saw this job running
   * (successor not claimable) or see the successor already running: never two runs of one session.
   */
  completeAndClaimNext<P = unknown>(id: string, owner: string, leaseMs: number): Promise<{ completed: boolean; next: HandoffJob<P> | null }> {
    requirePositiveInteger('leaseMs', leaseMs);
    requireText('owner', owner);
    // Completions of one owner in the same turn (its jobs finishing together) share one statement.
    const key = `${owner}\u0000${leaseMs}`;
    let batch = this.chainBatches.get(key);
    if (!batch) {
      const created: ChainBatch = { owner, leaseMs, items: [] };
      this.chainBatches.set(key, created);
      setImmediate(() => {
        this.chainBatches.delete(key);
        void this.flushChain(created);
      });
      batch = created;
    }
    return new Promise((resolve, reject) => batch.items.push({ id, resolve: resolve as ChainItem['resolve'], reject }));
  }

  /** Hot statements go prepared where the database supports it. */
  private run(name: string, sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]> {
    return this.db.queryPrepared ? this.db.queryPrepared(name, sql, params) : this.db.query(sql, params);
  }

  private async flushChain(batch: ChainBatch): Promise<void> {
    let rows: Record<string, unknown>[];
    try {
      rows = await this.run(
        'dingtalk_handoff_complete_chain',
        `WITH ${CLOCK_CTE},
         input AS (SELECT DISTINCT (value #>> '{}')::uuid AS id FROM jsonb_array_elements($2::jsonb)),
         completed AS (
           UPDATE ${T} h
              SET status = 'done', lease_until = NULL, finished_at = clock.now, updated_at = clock.now
             FROM clock
            WHERE h.id IN (SELECT id FROM input) AND h.lease_owner = $3 AND h.status = 'running'
           RETURNING h.id, h.session_key),
         successor AS (
           SELECT c.id AS after_id, n.claim_id
             FROM completed c
             CROSS JOIN LATERAL (
               SELECT j.id AS claim_id
                 FROM ${T} j
                WHERE c.session_key IS NOT NULL
                  AND j.session_key = c.session_key
                  AND j.status = 'queued'
                  AND j.run_at <= (SELECT now FROM clock)
                  AND NOT EXISTS (
                        SELECT 1 FROM ${T} e
                         WHERE e.session_key = j.session_key
                           AND (e.arrived_at, e.seq) < (j.arrived_at, j.seq)
                           AND e.status IN ('queued', 'running')
                           AND e.id <> c.id)
                ORDER BY j.arrived_at, j.seq
                LIMIT 1
                FOR UPDATE OF j SKIP LOCKED) n),
         claimed AS (
           UPDATE ${T} h
              SET ${CLAIM_SET}
             FROM successor, clock
            WHERE h.id = successor.claim_id
           RETURNING ${qualified('h')})
         SELECT c.id AS completed_id, x.*
           FROM completed c
           LEFT JOIN successor s ON s.after_id = c.id
           LEFT JOIN claimed x ON x.id = s.claim_id`,
        [clockParam(this.now), JSON.stringify(batch.items.map((item) => item.id)), batch.owner, batch.leaseMs],
      );
    } catch (error) {
      for (const item of batch.items) item.reject(error);
      return;
    }
    const byCompleted = new Map(rows.map((row) => [String(row.completed_id), row]));
    for (const item of batch.items) {
      const row = byCompleted.get(item.id);
      item.resolve({ completed: row !== undefined, next: row && row.id !== null && row.id !== undefined ? toHandoffJob(row) : null });
    }
  }

  /**
   * Records a failed run (P13): back to queued with the given run time, or dead when this was the
   * last attempt (or `dead` is set). The error text is kept either way. Null when `owner` no longer
   * holds the job.
   */
  async fail<P = unknown>(id: string, owner: string, error: unknown, options: FailOptions = {}): Promise<HandoffJob<P> | null> {
    const rows = await this.db.query(
      `WITH ${CLOCK_CTE},
       outcome AS (
         SELECT j.id, ($5::boolean OR j.attempts >= j.max_attempts) AS dead
           FROM ${T} j WHERE j.id = $2::uuid)
       UPDATE ${T} h
          SET status = CASE WHEN outcome.dead THEN 'dead' ELSE 'queued' END,
              run_at = CASE WHEN outcome.dead THEN h.run_at
                            ELSE COALESCE($6::timestamptz, clock.now + COALESCE($7::int, 0) * interval '1 millisecond') END,
              last_error = $4,
              lease_owner = CASE WHEN outcome.dead THEN h.lease_owner ELSE NULL END,
              lease_until = NULL,
              finished_at = CASE WHEN outcome.dead THEN clock.now ELSE NULL END,
              updated_at = clock.now
         FROM clock, outcome
        WHERE h.id = outcome.id AND h.lease_owner = $3 AND h.status = 'running'
       RETURNING ${qualified('h')}`,
      [clockParam(this.now), id, owner, errorText(error), options.dead === true, options.retryAt ?? null, retryInMs(options)],
    );
    return rows.length === 1 ? toHandoffJob<P>(rows[0]) : null;
  }

  /** Pushes the lease of a long-running job forward. False when `owner` no longer holds it. */
  async extendLease(id: string, owner: string, leaseMs: number): Promise<boolean> {
    requirePositiveInteger('leaseMs', leaseMs);
    const rows = await this.db.query(
      `WITH ${CLOCK_CTE}
       UPDATE ${T} h
          SET lease_until = clock.now + $4::int * interval '1 millisecond', updated_at = clock.now
         FROM clock
        WHERE h.id = $2::uuid AND h.lease_owner = $3 AND h.status = 'running'
       RETURNING h.id`,
      [clockParam(this.now), id, owner, leaseMs],
    );
    return rows.length === 1;
  }

  /**
   * Crash recovery (P12): running jobs whose lease has expired go back to queued, or to dead when
   * their attempts are used up, so a job that kills its worker cannot loop forever. Returns how many
   * jobs were taken back.
   */
  async reclaimExpired(): Promise<number> {
    const rows = await this.db.query<{ n: unknown }>(
      `WITH ${CLOCK_CTE},
       reclaimed AS (
         UPDATE ${T} h
            SET status = CASE WHEN h.attempts >= h.max_attempts THEN 'dead' ELSE 'queued' END,
                run_at = CASE WHEN h.attempts >= h.max_attempts THEN h.run_at ELSE clock.now END,
                last_error = 'lease expired while running on ' || COALESCE(h.lease_owner, 'unknown worker'),
                lease_owner = CASE WHEN h.attempts >= h.max_attempts THEN h.lease_owner ELSE NULL END,
                lease_until = NULL,
                finished_at = CASE WHEN h.attempts >= h.max_attempts THEN clock.now ELSE NULL END,
                updated_at = clock.now
           FROM clock
          WHERE h.status = 'running' AND h.lease_until < clock.now
         RETURNING h.id)
       SELECT count(*)::int AS n FROM reclaimed`,
      [clockParam(this.now)],
    );
    return toNumber(rows[0]?.n ?? 0);
  }

  /**
   * Graceful shutdown (P14): puts `owner`'s running jobs back to queued without counting the attempt
   * (they were interrupted, not failed). Returns how many.
   */
  async releaseOwned(owner: string): Promise<number> {
    const rows = await this.db.query<{ n: unknown }>(
      `WITH ${CLOCK_CTE},
       released AS (
         UPDATE ${T} h
            SET status = 'queued', attempts = GREATEST(h.attempts - 1, 0),
                lease_owner = NULL, lease_until = NULL, updated_at = clock.now
           FROM clock
          WHERE h.lease_owner = $2 AND h.status = 'running'
         RETURNING h.id)
       SELECT count(*)::int AS n FROM released`,
      [clockParam(this.now), owner],
    );
    return toNumber(rows[0]?.n ?? 0);
  }

  /** Operator action: gives a dead job a fresh set of attempts. Null when it is not dead. */
  async retryDead<P = unknown>(id: string): Promise<HandoffJob<P> | null> {
    if (!isUuid(id)) return null;
    const rows = await this.db.query(
      `WITH ${CLOCK_CTE}
       UPDATE ${T} h
          SET status = 'queued', attempts = 0, run_at = clock.now, lease_owner = NULL, lease_until = NULL,
              finished_at = NULL, updated_at = clock.now
         FROM clock
        WHERE h.id = $2::uuid AND h.status = 'dead'
       RETURNING ${qualified('h')}`,
      [clockParam(this.now), id],
    );
    return rows.length === 1 ? toHandoffJob<P>(rows[0]) : null;
  }

  /** Deletes done jobs finished before `date` (dead ones stay for inspection). Returns how many. */
  async purgeDoneBefore(date: Date): Promise<number> {
    const rows = await this.db.query<{ n: unknown }>(
      `WITH purged AS (DELETE FROM ${T} WHERE status = 'done' AND finished_at < $1::timestamptz RETURNING id)
       SELECT count(*)::int AS n FROM purged`,
      [date],
    );
    return toNumber(rows[0]?.n ?? 0);
  }

  async stats(): Promise<HandoffStats> {
    const rows = await this.db.query<{ status: keyof HandoffStats; n: unknown }>(
      `SELECT status, count(*)::int AS n FROM ${T} GROUP BY status`,
    );
    const stats: HandoffStats = { queued: 0, running: 0, done: 0, dead: 0 };
    for (const row of rows) stats[row.status] = toNumber(row.n);
    return stats;
  }

  /** The most recently dead jobs, newest first, with their last error. */
  async deadLetters<P = unknown>(limit = 50): Promise<HandoffJob<P>[]> {
    requirePositiveInteger('limit', limit, MAX_BATCH);
    const rows = await this.db.query(
      `SELECT ${HANDOFF_COLUMNS} FROM ${T} WHERE status = 'dead' ORDER BY finished_at DESC NULLS LAST, seq DESC LIMIT $1`,
      [limit],
    );
    return rows.map((row) => toHandoffJob<P>(row));
  }

  async get<P = unknown>(id: string): Promise<HandoffJob<P> | null> {
    if (!isUuid(id)) return null;
    const rows = await this.db.query(`SELECT ${HANDOFF_COLUMNS} FROM ${T} WHERE id = $1::uuid`, [id]);
    return rows.length === 1 ? toHandoffJob<P>(rows[0]) : null;
  }
}

interface ChainItem {
  id: string;
  resolve: (result: { completed: boolean; next: HandoffJob | null }) => void;
  reject: (error: unknown) => void;
}

interface ChainBatch {
  owner: string;
  leaseMs: number;
  items: ChainItem[];
}

function retryInMs(options: FailOptions): number | null {
  if (options.retryInMs === undefined) return null;
  return Math.max(0, Math.round(options.retryInMs));
}

/** HANDOFF_COLUMNS qualified with a table alias, for statements that join the clock CTE. */
function qualified(alias: string): string {
  return HANDOFF_COLUMNS.split(',')
    .map((column) => `${alias}.${column.trim()}`)
    .join(', ');
}
