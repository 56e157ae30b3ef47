import type { Queryable } from './database';
import { TABLES } from './entities/table-names';
import { requireText } from './invalid-argument';
import { jsonParam, toNumber, toStringOrNull } from './sql-values';

/** `abandoned`: an envelope could not be applied after every redelivery; the run will not finish. */
export type DispatchRunStatus = 'pending' | 'dispatched' | 'completed' | 'abandoned';

/** One turn answered through the host's dispatch, and how far its reply has got. */
export interface DispatchRun {
  runId: string;
  sessionKey: string;
  integrationId: string;
  xpertId: string;
  threadId: string;
  replyTarget: unknown;
  /** The interrupt a resume answers (cleared once the resumed run is finished). */
  answersInterruptId: string | null;
  decision: 'confirm' | 'reject' | null;
  status: DispatchRunStatus;
  /** The envelope sequence the reply needs next (1 first). */
  nextSequence: number;
  /** The chat events applied so far (compacted), replayed when a reply must be rebuilt. */
  applied: unknown[];
  /** Envelopes that came before their turn, by sequence. */
  buffered: Record<string, unknown>;
  /** Optimistic lock: every progress write names the version it read. */
  version: number;
}

export interface BeginDispatchRunInput {
  runId: string;
  sessionKey: string;
  integrationId: string;
  xpertId: string;
  threadId: string;
  replyTarget: unknown;
  answersInterruptId?: string;
  decision?: 'confirm' | 'reject';
  /** Creation time on the caller's clock (the in-flight check compares with the same clock). */
  now?: Date;
}

export interface DispatchProgress {
  nextSequence: number;
  applied: unknown[];
  buffered: Record<string, unknown>;
  status?: DispatchRunStatus;
}

const T = TABLES.dispatchRun;
const COLUMNS = `run_id, session_key, integration_id, xpert_id, thread_id, reply_target, answers_interrupt_id, decision, status,
  next_sequence, applied, buffered, version`;

/** The dispatch-run ledger (migration 0008). */
export class DispatchRunRepository {
  constructor(private readonly db: Queryable) {}

  /** Creates the run once; a retried turn gets the existing row back (`created` false). */
  async begin(input: BeginDispatchRunInput): Promise<{ run: DispatchRun; created: boolean }> {
    requireText('runId', input.runId);
    requireText('sessionKey', input.sessionKey);
    const inserted = await this.db.query(
      `INSERT INTO ${T} (run_id, session_key, integration_id, xpert_id, thread_id, reply_target, answers_interrupt_id, decision, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9::timestamptz, $9::timestamptz)
       ON CONFLICT (run_id) DO NOTHING
       RETURNING ${COLUMNS}`,
      [input.runId, input.sessionKey, input.integrationId, input.xpertId, input.threadId, jsonParam(input.replyTarget), input.answersInterruptId ?? null, input.decision ?? null, input.now ?? new Date()],
    );
    if (inserted.length === 1) return { run: toRun(inserted[0]), created: true };
    const run = await this.get(input.runId);
    if (!run) throw new Error(`dispatch run ${input.runId} vanished while it was being created`);
    return { run, created: false };
  }

  async get(runId: string): Promise<DispatchRun | null> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM ${T} WHERE run_id = $1`, [runId]);
    return rows.length === 1 ? toRun(rows[0]) : null;
  }

  /** The host took the dispatch; a later retry of the turn must not enqueue it again. */
  async markDispatched(runId: string): Promise<void> {
    await this.db.query(`UPDATE ${T} SET status = 'dispatched', updated_at = now() WHERE run_id = $1 AND status = 'pending'`, [runId]);
  }

  /** Another run of the session the host took after `since` and that has not finished yet, if any. */
  async unfinished(sessionKey: string, exceptRunId: string, since: Date): Promise<string | null> {
    const rows = await this.db.query<{ run_id: string }>(
      `SELECT run_id FROM ${T}
        WHERE session_key = $1 AND run_id <> $2 AND status = 'dispatched' AND created_at > $3::timestamptz
        ORDER BY created_at DESC LIMIT 1`,
      [sessionKey, exceptRunId, since],
    );
    return rows[0]?.run_id ?? null;
  }

  /**
   * Takes the run's send lease for `leaseMs` (database clock), unless another owner holds an
   * unexpired one; then says how long that one still runs.
   */
  async claim(runId: string, owner: string, leaseMs: number): Promise<{ claimed: true } | { claimed: false; retryInMs: number }> {
    const rows = await this.db.query(
      `UPDATE ${T} SET lease_owner = $2, lease_until = now() + ($3::int * interval '1 millisecond')
        WHERE run_id = $1 AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until < now())
        RETURNING run_id`,
      [runId, owner, leaseMs],
    );
    if (rows.length === 1) return { claimed: true };
    const held = await this.db.query<{ ms: unknown }>(`SELECT GREATEST(0, EXTRACT(EPOCH FROM (lease_until - now())) * 1000) AS ms FROM ${T} WHERE run_id = $1`, [runId]);
    return { claimed: false, retryInMs: Math.ceil(Number(held[0]?.ms ?? 0)) };
  }

  /** Gives the lease back (after a failed delivery), so a redelivery need not wait for it to expire. */
  async release(runId: string, owner: string): Promise<void> {
    await this.db.query(`UPDATE ${T} SET lease_owner = NULL, lease_until = NULL WHERE run_id = $1 AND lease_owner = $2`, [runId, owner]);
  }

  /** The run cannot finish (an envelope failed for good); it no longer holds up its session. */
  async abandon(runId: string): Promise<void> {
    await this.db.query(`UPDATE ${T} SET status = 'abandoned', version = version + 1, updated_at = now() WHERE run_id = $1 AND status <> 'completed'`, [runId]);
  }

  /**
   * Stores the reply's progress if nobody else moved the run since `version` was read (and gives
   * `owner`'s lease back). False means another delivery (another replica) got there first.
   */
  async saveProgress(runId: string, version: number, progress: DispatchProgress, owner?: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE ${T}
          SET next_sequence = $3, applied = $4::jsonb, buffered = $5::jsonb,
              status = COALESCE($6, status), version = version + 1, updated_at = now(),
              lease_owner = CASE WHEN lease_owner = $7 THEN NULL ELSE lease_owner END,
              lease_until = CASE WHEN lease_owner = $7 THEN NULL ELSE lease_until END,
              completed_at = CASE WHEN $6 = 'completed' THEN now() ELSE completed_at END
        WHERE run_id = $1 AND version = $2
        RETURNING run_id`,
      [runId, version, progress.nextSequence, JSON.stringify(progress.applied), JSON.stringify(progress.buffered), progress.status ?? null, owner ?? null],
    );
    return rows.length === 1;
  }
}

function toRun(row: Record<string, unknown>): DispatchRun {
  const decision = toStringOrNull(row.decision);
  return {
    runId: String(row.run_id),
    sessionKey: String(row.session_key),
    integrationId: String(row.integration_id),
    xpertId: String(row.xpert_id),
    threadId: String(row.thread_id),
    replyTarget: row.reply_target ?? null,
    answersInterruptId: toStringOrNull(row.answers_interrupt_id),
    decision: decision === 'confirm' || decision === 'reject' ? decision : null,
    status: String(row.status) as DispatchRunStatus,
    nextSequence: toNumber(row.next_sequence),
    applied: Array.isArray(row.applied) ? row.applied : [],
    buffered: typeof row.buffered === 'object' && row.buffered !== null ? (row.buffered as Record<string, unknown>) : {},
    version: toNumber(row.version),
  };
}
