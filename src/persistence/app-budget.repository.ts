import type { Queryable } from './database';
import { TABLES } from './entities/table-names';
import { requireText } from './invalid-argument';

const T = TABLES.appBudget;

/**
 * Membership of the replicas sharing a DingTalk app's API budget. Each replica heartbeats the apps
 * it calls; the live members of an app (a heartbeat within `staleMs`, on the database clock) split
 * the app's per-API limit between them. Rows of replicas long gone are deleted on the way.
 */
export class AppBudgetRepository {
  constructor(private readonly db: Queryable) {}

  /** Records this replica as live for `clientIds` and returns each app's live member count (this one included). */
  async heartbeat(replicaId: string, clientIds: readonly string[], staleMs: number): Promise<Map<string, number>> {
    requireText('replicaId', replicaId);
    const counts = new Map<string, number>();
    if (clientIds.length === 0) return counts;
    await this.db.query(
      `INSERT INTO ${T} (client_id, replica_id, heartbeat_at, stale_after_ms)
       SELECT unnest($1::text[]), $2, now(), $3
       ON CONFLICT (client_id, replica_id) DO UPDATE SET heartbeat_at = now(), stale_after_ms = EXCLUDED.stale_after_ms`,
      [clientIds, replicaId, Math.round(staleMs)],
    );
    const rows = await this.db.query(
      `SELECT client_id, count(*)::int AS members FROM ${T}
        WHERE client_id = ANY($1::text[]) AND heartbeat_at > now() - make_interval(secs => $2::double precision / 1000)
        GROUP BY client_id`,
      [clientIds, staleMs],
    );
    for (const row of rows) counts.set(String(row.client_id), Number(row.members));
    await this.db.query(`DELETE FROM ${T} WHERE heartbeat_at < now() - make_interval(secs => $1::double precision / 1000)`, [staleMs * 20]);
    return counts;
  }

  /** A replica shutting down leaves at once, so the others take its share without waiting. */
  async leave(replicaId: string): Promise<void> {
    await this.db.query(`DELETE FROM ${T} WHERE replica_id = $1`, [replicaId]);
  }
}
