import { StatementsMigration } from './statements.migration';

/**
 * `arrived_at`: when the event reached a replica, which now orders the jobs of one session (P10)
 * instead of `seq`. `seq` is taken when the row is inserted, and an event acknowledged from one
 * replica's spool during an outage is inserted only when that replica drains it — possibly after a
 * later message of the same chat that another replica spooled and drained first. The arrival time
 * travels with the spooled event, so the order holds whichever replica inserts first.
 *
 * Rows that exist before this migration keep their order among themselves (ties fall back to `seq`)
 * and come before every later arrival: open ones get their `created_at`, finished ones are never
 * compared again and keep the instant '-infinity' default rather than rewriting the whole table.
 */
const UP: readonly string[] = [
  `ALTER TABLE plugin_dingtalk_handoff ADD COLUMN IF NOT EXISTS arrived_at timestamptz NOT NULL DEFAULT '-infinity'`,
  `UPDATE plugin_dingtalk_handoff SET arrived_at = created_at WHERE status IN ('queued', 'running')`,
  'ALTER TABLE plugin_dingtalk_handoff ALTER COLUMN arrived_at SET DEFAULT now()',
  'DROP INDEX IF EXISTS plugin_dingtalk_handoff_active_session_idx',
  `CREATE INDEX plugin_dingtalk_handoff_active_session_idx ON plugin_dingtalk_handoff (session_key, arrived_at, seq) WHERE status IN ('queued', 'running')`,
];

const DOWN: readonly string[] = [
  'DROP INDEX IF EXISTS plugin_dingtalk_handoff_active_session_idx',
  `CREATE INDEX plugin_dingtalk_handoff_active_session_idx ON plugin_dingtalk_handoff (session_key, seq) WHERE status IN ('queued', 'running')`,
  'ALTER TABLE plugin_dingtalk_handoff DROP COLUMN IF EXISTS arrived_at',
];

export class HandoffArrival1732000000013 extends StatementsMigration {
  name = 'HandoffArrival1732000000013';
  protected readonly upStatements = UP;
  protected readonly downStatements = DOWN;
}
