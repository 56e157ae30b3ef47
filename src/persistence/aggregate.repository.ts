import type { Queryable } from './database';
import { TABLES } from './entities/table-names';
import { requireText } from './invalid-argument';
import { jsonParam, toDate, toNumber } from './sql-values';

export interface AggregateBuffer<M = unknown> {
  sessionKey: string;
  integrationId: string;
  version: number;
  messages: M[];
  flushAt: Date;
  updatedAt: Date;
}

const T = TABLES.aggregate;
const COLUMNS = 'session_key, integration_id, version, messages, flush_at, updated_at';

/**
 * The summary-window buffer (a versioned debounce). Each append bumps the version and moves the
 * flush time; the aggregator schedules a flush job carrying that version. When a flush job runs,
 * takeIfVersion hands over the messages only if no newer append happened in between — a stale flush
 * gets null and does nothing, so only the newest version dispatches.
 */
export class AggregateRepository {
  constructor(private readonly db: Queryable) {}

  /** Appends a message (creating the buffer if needed) and returns the buffer's new version. */
  async append<M>(q: Queryable, sessionKey: string, integrationId: string, message: M, flushAt: Date): Promise<number> {
    requireText('sessionKey', sessionKey);
    requireText('integrationId', integrationId);
    const rows = await q.query<{ version: unknown }>(
      `INSERT INTO ${T} AS a (session_key, integration_id, version, messages, flush_at, updated_at)
       VALUES ($1, $2, 1, jsonb_build_array($3::jsonb), $4::timestamptz, now())
       ON CONFLICT (session_key) DO UPDATE
          SET version = a.version + 1,
              messages = a.messages || EXCLUDED.messages,
              flush_at = EXCLUDED.flush_at,
              updated_at = now()
       RETURNING version`,
      // jsonb_build_array wraps the message, so an array message stays one element when concatenated.
      [sessionKey, integrationId, jsonParam(message) ?? 'null', flushAt],
    );
    return toNumber(rows[0].version);
  }

  /** The messages, oldest first, deleting the buffer — only if its version is still `version`. */
  async takeIfVersion<M = unknown>(q: Queryable, sessionKey: string, version: number): Promise<M[] | null> {
    const rows = await q.query<{ messages: M[] }>(
      `DELETE FROM ${T} WHERE session_key = $1 AND version = $2::int RETURNING messages`,
      [sessionKey, version],
    );
    return rows.length === 1 ? rows[0].messages : null;
  }

  /** Drops the buffer (e.g. the session ended). */
  async clear(sessionKey: string): Promise<boolean> {
    const rows = await this.db.query(`DELETE FROM ${T} WHERE session_key = $1 RETURNING session_key`, [sessionKey]);
    return rows.length === 1;
  }

  async get<M = unknown>(sessionKey: string): Promise<AggregateBuffer<M> | null> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM ${T} WHERE session_key = $1`, [sessionKey]);
    if (rows.length === 0) return null;
    const row = rows[0];
    return {
      sessionKey: String(row.session_key),
      integrationId: String(row.integration_id),
      version: toNumber(row.version),
      messages: (row.messages ?? []) as M[],
      flushAt: toDate(row.flush_at),
      updatedAt: toDate(row.updated_at),
    };
  }
}

/** The column list its queries select; the schema-agreement test checks it against the entity. */
export { COLUMNS as AGGREGATE_COLUMNS };
