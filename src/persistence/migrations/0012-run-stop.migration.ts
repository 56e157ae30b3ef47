import { StatementMigration } from './statement-migration';

/**
 * `plugin_dingtalk_run_stop`: one row per running job a stop was asked for. The notification on
 * `plugin_dingtalk_stop` reaches the replica running the answer at once; this row is what it still
 * finds when it was not listening at that moment (its listener reconnecting after a restart).
 */
const UP: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS plugin_dingtalk_run_stop (
    job_id uuid PRIMARY KEY,
    session_key text NOT NULL,
    requested_at timestamptz NOT NULL
  )`,
];

const DOWN: readonly string[] = ['DROP TABLE IF EXISTS plugin_dingtalk_run_stop'];

export class RunStop1732000000012 extends StatementMigration {
  name = 'RunStop1732000000012';

  constructor() {
    super(UP, DOWN);
  }
}
