import { StatementsMigration } from './statements.migration';

/**
 * Fewer index writes per queue step. A claim or completion changes `status`, so PostgreSQL cannot
 * update the row in place (HOT) and writes a new entry into every index of the table; on the queue's
 * hot path that index upkeep, not the lookups, was the cost. Two full indexes from 0001 are no longer
 * read by any statement since 0003's partial ones serve the claim:
 * - (status, run_at): the claim reads queued_seq_idx; lease expiry and dead letters get small partial
 *   indexes of their own below, which only running and dead rows enter;
 * - (session_key, seq): the per-session order check reads active_session_idx.
 * Purging done rows scans the table, which retention keeps bounded, instead of an index every
 * completion would have to maintain.
 */
const UP: readonly string[] = [
  'DROP INDEX IF EXISTS plugin_dingtalk_handoff_status_run_at_idx',
  'DROP INDEX IF EXISTS plugin_dingtalk_handoff_session_seq_idx',
  `CREATE INDEX plugin_dingtalk_handoff_running_lease_idx ON plugin_dingtalk_handoff (lease_until) WHERE status = 'running'`,
  `CREATE INDEX plugin_dingtalk_handoff_dead_finished_idx ON plugin_dingtalk_handoff (finished_at) WHERE status = 'dead'`,
];

const DOWN: readonly string[] = [
  'DROP INDEX IF EXISTS plugin_dingtalk_handoff_dead_finished_idx',
  'DROP INDEX IF EXISTS plugin_dingtalk_handoff_running_lease_idx',
  'CREATE INDEX plugin_dingtalk_handoff_session_seq_idx ON plugin_dingtalk_handoff (session_key, seq)',
  'CREATE INDEX plugin_dingtalk_handoff_status_run_at_idx ON plugin_dingtalk_handoff (status, run_at)',
];

export class HandoffLeanIndexes1732000000010 extends StatementsMigration {
  name = 'HandoffLeanIndexes1732000000010';
  protected readonly upStatements = UP;
  protected readonly downStatements = DOWN;
}
