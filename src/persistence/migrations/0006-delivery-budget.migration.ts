import { StatementsMigration } from './statements.migration';

/**
 * Delivery state shared by all replicas:
 * - answer cards that are streaming carry their owner (a replica id) so that, when the owner dies
 *   and no retry takes the card over, another replica finalizes it (`abandoned`: shown as
 *   interrupted) instead of leaving it spinning;
 *   `stream_orphaned_at` is when a sweep first found the owner gone (the grace starts there);
 * - a send records its sender (a replica id): a pending row is only in flight while its sender lives;
 * - the DingTalk API budget of an app is shared by the replicas that heartbeat here: each takes
 *   its share of DingTalk's per-app-per-API limit. The same heartbeat says which replicas live.
 */
const UP: readonly string[] = [
  `ALTER TABLE plugin_dingtalk_outbox
     ADD COLUMN card_stream text NULL CHECK (card_stream IN ('streaming', 'finalized', 'abandoned')),
     ADD COLUMN stream_owner text NULL,
     ADD COLUMN stream_orphaned_at timestamptz NULL,
     ADD COLUMN sender text NULL`,
  `CREATE INDEX plugin_dingtalk_outbox_streaming_idx ON plugin_dingtalk_outbox (updated_at) WHERE card_stream = 'streaming'`,
  `CREATE TABLE plugin_dingtalk_app_budget (
     client_id text NOT NULL,
     replica_id text NOT NULL,
     heartbeat_at timestamptz NOT NULL DEFAULT now(),
     stale_after_ms integer NOT NULL DEFAULT 4000,
     PRIMARY KEY (client_id, replica_id)
   )`,
  `CREATE INDEX plugin_dingtalk_app_budget_replica_idx ON plugin_dingtalk_app_budget (replica_id, heartbeat_at)`,
];

const DOWN: readonly string[] = [
  'DROP TABLE IF EXISTS plugin_dingtalk_app_budget',
  'DROP INDEX IF EXISTS plugin_dingtalk_outbox_streaming_idx',
  'ALTER TABLE plugin_dingtalk_outbox DROP COLUMN IF EXISTS sender, DROP COLUMN IF EXISTS stream_orphaned_at, DROP COLUMN IF EXISTS stream_owner, DROP COLUMN IF EXISTS card_stream',
];

export class DeliveryBudget1732000000006 extends StatementsMigration {
  name = 'DeliveryBudget1732000000006';
  protected readonly upStatements = UP;
  protected readonly downStatements = DOWN;
}
