import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Turns answered through the host's own dispatch (a 3.17 host's handoff queue):
 * - `plugin_dingtalk_dispatch_run`: one row per dispatched turn, created before the dispatch is
 *   enqueued. The host streams the run back as numbered envelopes that may arrive twice or out of
 *   order; the row holds the next sequence to apply, the envelopes that came early, and the answer
 *   so far (compacted chat events), so any replica — or this one after a crash — continues the
 *   reply exactly once and in order. A short lease lets one delivery at a time send for the run
 *   (a redelivery racing the first one must not post the same segment twice).
 * - `xpert_conversation_id` on the session row: the host conversation a dispatched session
 *   continues on its next turn. `IF NOT EXISTS`: the upgrade from the earlier plugin adds the same
 *   column for the conversation ids it already holds.
 */
const UP: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS plugin_dingtalk_dispatch_run (
    run_id text PRIMARY KEY,
    session_key text NOT NULL,
    integration_id text NOT NULL,
    xpert_id text NOT NULL,
    thread_id text NOT NULL,
    reply_target jsonb NOT NULL,
    answers_interrupt_id text NULL,
    decision text NULL,
    status text NOT NULL DEFAULT 'pending',
    next_sequence integer NOT NULL DEFAULT 1,
    applied jsonb NOT NULL DEFAULT '[]'::jsonb,
    buffered jsonb NOT NULL DEFAULT '{}'::jsonb,
    version integer NOT NULL DEFAULT 0,
    lease_owner text NULL,
    lease_until timestamptz NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz NULL
  )`,
  `CREATE INDEX IF NOT EXISTS plugin_dingtalk_dispatch_run_session_idx ON plugin_dingtalk_dispatch_run (session_key, created_at)`,
  `ALTER TABLE plugin_dingtalk_conversation_binding ADD COLUMN IF NOT EXISTS xpert_conversation_id text NULL`,
];

const DOWN: readonly string[] = [`DROP TABLE IF EXISTS plugin_dingtalk_dispatch_run`];

export class DispatchRun1732000000008 implements MigrationInterface {
  name = 'DispatchRun1732000000008';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of UP) await queryRunner.query(statement);
  }

  // The session column stays: the upgrade path may own it too, and an unused NULL column is harmless.
  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of DOWN) await queryRunner.query(statement);
  }
}
