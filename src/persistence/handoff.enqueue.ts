import { clockParam, nowSql, type Clock } from '../kernel/clock';
import type { Queryable } from './database';
import { TABLES } from './entities/table-names';
import { DEFAULT_MAX_ATTEMPTS, HANDOFF_COLUMNS, toHandoffJob, type HandoffJob, type NewHandoffJob } from './handoff.types';
import { requirePositiveInteger, requireText } from './invalid-argument';
import { jsonParam } from './sql-values';

/**
 * Inserts one queued job through `q`, so that a producer can enqueue in the same transaction as its
 * own write (the inbox row: stored before acked, P7). Shared by HandoffRepository and InboxRepository.
 *
 * `seq` is taken at insert time; two producers committing concurrently may become visible out of seq
 * order, which is fine: two events racing in at the same instant have no meaningful order anyway.
 * A session's order is `arrived_at` first (the producer's receipt time, else the insert time).
 */
export async function insertHandoffJob<P>(q: Queryable, job: NewHandoffJob<P>, clock?: Clock): Promise<HandoffJob<P>> {
  requireText('job.kind', job.kind);
  requireText('job.integrationId', job.integrationId);
  const maxAttempts = requirePositiveInteger('job.maxAttempts', job.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, 1000);
  const now = nowSql(7);
  const rows = await q.query(
    `INSERT INTO ${TABLES.handoff}
       (kind, integration_id, session_key, payload, max_attempts, run_at, arrived_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4::jsonb, $5::int, COALESCE($6::timestamptz, ${now}), COALESCE($8::timestamptz, ${now}), ${now}, ${now})
     RETURNING ${HANDOFF_COLUMNS}`,
    [job.kind, job.integrationId, job.sessionKey ?? null, jsonParam(job.payload ?? {}), maxAttempts, job.runAt ?? null, clockParam(clock), job.arrivedAt ?? null],
  );
  return toHandoffJob<P>(rows[0]);
}
