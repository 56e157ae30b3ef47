import { clockParam, type Clock } from '../kernel/clock';
import type { Database } from './database';
import { TABLES } from './entities/table-names';
import { HandoffRepository } from './handoff.repository';
import { HANDOFF_COLUMNS, toHandoffJob, type HandoffJob, type HandoffStats } from './handoff.types';
import { InboxRepository } from './inbox.repository';
import { requirePositiveInteger, requireText } from './invalid-argument';
import { purgeRunStopsBefore } from './run-stop.repository';
import { isUuid, toDate, toNumber } from './sql-values';

const T = TABLES.handoff;
const MAX_LIST = 500;

/**
 * One advisory-lock key for the queue's housekeeping, so exactly one replica at a time sweeps. The
 * number is arbitrary but fixed (the ASCII of "DTQM"); it only has to differ from other users of
 * advisory locks in the same database.
 */
export const MAINTENANCE_LOCK_KEY = 0x4454514d;

export interface MaintenanceCutoffs {
  /** Inbox rows received before this are forgotten (the dedupe memory of DingTalk redeliveries). */
  inboxBefore: Date;
  /** Done jobs finished before this are deleted; dead ones stay until an operator acts. */
  doneBefore: Date;
}

export interface MaintenanceFigures {
  /** False when another replica held the lock: this one did nothing. */
  ran: boolean;
  inboxPurged: number;
  donePurged: number;
  leasesReclaimed: number;
}

/** A dead job as an operator sees it: what, when, why; never its payload (it carries message text). */
export interface DeadLetter {
  id: string;
  kind: string;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface IntegrationQueueFigures extends HandoffStats {
  /** When the oldest queued job of this integration became due; null when none waits. */
  oldestQueuedAt: Date | null;
}

/**
 * The queue's housekeeping and its operator view. The sweep runs in one transaction holding a
 * transaction-scoped advisory lock (`pg_try_advisory_xact_lock`): a replica that does not get it
 * skips this round, and the lock goes with the transaction, so a crashed sweeper never keeps it.
 */
export class QueueLifecycleRepository {
  constructor(
    private readonly db: Database,
    private readonly now?: Clock,
  ) {}

  async sweep(cutoffs: MaintenanceCutoffs): Promise<MaintenanceFigures> {
    return this.db.tx(async (q) => {
      const locked = await q.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS locked', [MAINTENANCE_LOCK_KEY]);
      if (locked[0]?.locked !== true) return { ran: false, inboxPurged: 0, donePurged: 0, leasesReclaimed: 0 };
      const handoff = new HandoffRepository(q, this.now);
      const leasesReclaimed = await handoff.reclaimExpired();
      const inboxPurged = await new InboxRepository(q, this.now).purgeOlderThan(cutoffs.inboxBefore);
      const donePurged = await handoff.purgeDoneBefore(cutoffs.doneBefore);
      // A stop mark outlives its job only by as long as the done job itself is kept.
      await purgeRunStopsBefore(q, cutoffs.doneBefore);
      return { ran: true, inboxPurged, donePurged, leasesReclaimed };
    });
  }

  /** The newest dead letters of one integration, newest first. */
  async deadLetters(integrationId: string, limit = 50): Promise<DeadLetter[]> {
    requireText('integrationId', integrationId);
    requirePositiveInteger('limit', limit, MAX_LIST);
    const rows = await this.db.query(
      `SELECT ${HANDOFF_COLUMNS} FROM ${T}
        WHERE integration_id = $1 AND status = 'dead'
        ORDER BY finished_at DESC NULLS LAST, seq DESC LIMIT $2`,
      [integrationId, limit],
    );
    return rows.map((row) => toDeadLetter(toHandoffJob(row)));
  }

  /**
   * Gives dead jobs of one integration a fresh set of attempts, due now: the one named by `jobId`,
   * or all of them. Returns the ids put back in the queue (empty when none matched).
   */
  async retryDead(integrationId: string, jobId?: string): Promise<string[]> {
    requireText('integrationId', integrationId);
    if (jobId !== undefined && !isUuid(jobId)) return [];
    const rows = await this.db.query<{ id: string }>(
      `WITH clock AS (SELECT COALESCE($1::timestamptz, now()) AS now)
       UPDATE ${T} h
          SET status = 'queued', attempts = 0, run_at = clock.now, lease_owner = NULL, lease_until = NULL,
              finished_at = NULL, updated_at = clock.now
         FROM clock
        WHERE h.integration_id = $2 AND h.status = 'dead' AND ($3::uuid IS NULL OR h.id = $3::uuid)
       RETURNING h.id`,
      [clockParam(this.now), integrationId, jobId ?? null],
    );
    return rows.map((row) => String(row.id));
  }

  /** Jobs of one integration by status, and how long the oldest queued one has waited. */
  async figures(integrationId: string): Promise<IntegrationQueueFigures> {
    requireText('integrationId', integrationId);
    const rows = await this.db.query<{ status: keyof HandoffStats; n: unknown; oldest: unknown }>(
      `SELECT status, count(*)::int AS n, min(run_at) FILTER (WHERE status = 'queued') AS oldest
         FROM ${T} WHERE integration_id = $1 GROUP BY status`,
      [integrationId],
    );
    const figures: IntegrationQueueFigures = { queued: 0, running: 0, done: 0, dead: 0, oldestQueuedAt: null };
    for (const row of rows) {
      figures[row.status] = toNumber(row.n);
      if (row.status === 'queued' && row.oldest) figures.oldestQueuedAt = toDate(row.oldest);
    }
    return figures;
  }
}

function toDeadLetter(job: HandoffJob): DeadLetter {
  return {
    id: job.id,
    kind: job.kind,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    lastError: job.lastError,
    createdAt: job.createdAt,
    finishedAt: job.finishedAt,
  };
}
