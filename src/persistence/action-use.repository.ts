import type { Queryable } from './database';
import { TABLES } from './entities/table-names';
import { requireText } from './invalid-argument';

const T = TABLES.actionUse;

export interface ActionUse {
  integrationId: string;
  nonce: string;
  action: string;
  sessionKey: string;
  /** The job acting on it: a retry of that same job may act again (it is still the first use). */
  jobId: string;
}

/**
 * Signed actions are single-use: the nonce of a link or card button is recorded the first time it
 * acts. `claim` inside the transaction that performs the action makes "acted" and "used" one fact.
 */
export class ActionUseRepository {
  constructor(private readonly db: Queryable) {}

  /** True when this job is the nonce's first (or only) user; false when another use came first. */
  async claim(use: ActionUse, now: Date): Promise<boolean> {
    requireText('integrationId', use.integrationId);
    requireText('nonce', use.nonce);
    const rows = await this.db.query(
      `INSERT INTO ${T} (integration_id, nonce, action, session_key, job_id, used_at) VALUES ($1, $2, $3, $4, $5, $6::timestamptz)
       ON CONFLICT (integration_id, nonce) DO UPDATE SET used_at = ${T}.used_at WHERE ${T}.job_id = EXCLUDED.job_id
       RETURNING nonce`,
      [use.integrationId, use.nonce, use.action, use.sessionKey, use.jobId, now],
    );
    return rows.length === 1;
  }

  async isUsed(integrationId: string, nonce: string): Promise<boolean> {
    const rows = await this.db.query(`SELECT 1 FROM ${T} WHERE integration_id = $1 AND nonce = $2`, [integrationId, nonce]);
    return rows.length === 1;
  }
}
