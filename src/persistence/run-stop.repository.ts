import type { Database, Queryable } from './database';
import { TABLES } from './entities/table-names';
import { requireText } from './invalid-argument';
import { isUuid } from './sql-values';

/** The notification channel of stops; its payload is a session key, never any message text. */
export const STOP_CHANNEL = 'plugin_dingtalk_stop';

const T = TABLES.runStop;

/**
 * Stops asked for on one replica, for the answer another replica runs. A stop marks the session's
 * running jobs and notifies every replica listening on STOP_CHANNEL, in one transaction (PostgreSQL
 * delivers the notification at commit, so a listener never hears of a stop it cannot find). A
 * replica that was not listening then finds the mark by the ids of the jobs it runs.
 */
export class RunStopRepository {
  constructor(private readonly db: Database) {}

  /** Marks the session's running jobs; returns how many. With none running nobody is told. */
  async request(sessionKey: string): Promise<number> {
    requireText('sessionKey', sessionKey);
    return this.db.tx(async (q) => {
      const marked = await q.query(
        `INSERT INTO ${T} (job_id, session_key, requested_at)
         SELECT id, session_key, now() FROM ${TABLES.handoff} WHERE session_key = $1 AND status = 'running'
         ON CONFLICT (job_id) DO UPDATE SET requested_at = EXCLUDED.requested_at
         RETURNING job_id`,
        [sessionKey],
      );
      if (marked.length > 0) await q.query('SELECT pg_notify($1, $2)', [STOP_CHANNEL, sessionKey]);
      return marked.length;
    });
  }

  /** Which of these jobs a stop was asked for. */
  async stoppedAmong(jobIds: readonly string[]): Promise<string[]> {
    const ids = jobIds.filter(isUuid);
    if (ids.length === 0) return [];
    const rows = await this.db.query<{ job_id: string }>(`SELECT job_id FROM ${T} WHERE job_id = ANY($1::uuid[])`, [ids]);
    return rows.map((row) => String(row.job_id));
  }
}

/** Marks older than `date` serve nobody: their jobs have long ended (the queue's housekeeping). */
export async function purgeRunStopsBefore(q: Queryable, date: Date): Promise<number> {
  const rows = await q.query(`DELETE FROM ${T} WHERE requested_at < $1::timestamptz RETURNING job_id`, [date]);
  return rows.length;
}
