import { StatementMigration } from './statement-migration';

/**
 * Indexes for the claim query, which must stay cheap with a backlog (after an outage thousands of
 * jobs wait) and with years of finished rows:
 * - queued jobs in seq order, so a claim reads the oldest queued rows and stops at its limit;
 * - active (queued or running) jobs per session, so "no earlier job of this session is still open"
 *   (P10) is one index probe per candidate.
 * Both are partial: finished rows, the bulk of the table, are in neither. Without them the planner,
 * on a freshly filled table, rescanned the whole status index once per queued row (about 2 jobs/s
 * with 5,000 queued).
 */
const UP: readonly string[] = [
  `CREATE INDEX plugin_dingtalk_handoff_queued_seq_idx ON plugin_dingtalk_handoff (seq) WHERE status = 'queued'`,
  `CREATE INDEX plugin_dingtalk_handoff_active_session_idx ON plugin_dingtalk_handoff (session_key, seq) WHERE status IN ('queued', 'running')`,
];

const DOWN: readonly string[] = [
  'DROP INDEX IF EXISTS plugin_dingtalk_handoff_active_session_idx',
  'DROP INDEX IF EXISTS plugin_dingtalk_handoff_queued_seq_idx',
];

export class HandoffClaimIndexes1732000000003 extends StatementMigration {
  name = 'HandoffClaimIndexes1732000000003';

  constructor() {
    super(UP, DOWN);
  }
}
