import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Access control on the trigger:
 * - `plugin_dingtalk_access_refusal`: one row per refused person per conversation, with a count,
 *   the reason and the last message refused (a retried job does not count twice), so the status
 *   route shows an admin who was turned away and by which rule;
 * - `plugin_dingtalk_seen_group`: the groups the bot has received a message in, with their title,
 *   which the trigger's group list offers (DingTalk has no API listing a robot's groups).
 */
const UP: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS plugin_dingtalk_access_refusal (
    integration_id text NOT NULL,
    conversation_id text NOT NULL,
    subject_id text NOT NULL,
    conversation_type text NOT NULL,
    reason text NOT NULL,
    sender_nick text NULL,
    refused_count integer NOT NULL DEFAULT 1,
    last_event_id text NOT NULL,
    first_refused_at timestamptz NOT NULL,
    last_refused_at timestamptz NOT NULL,
    PRIMARY KEY (integration_id, conversation_id, subject_id)
  )`,
  `CREATE INDEX IF NOT EXISTS plugin_dingtalk_access_refusal_recent_idx ON plugin_dingtalk_access_refusal (integration_id, last_refused_at)`,
  `CREATE TABLE IF NOT EXISTS plugin_dingtalk_seen_group (
    integration_id text NOT NULL,
    conversation_id text NOT NULL,
    title text NULL,
    last_seen_at timestamptz NOT NULL,
    PRIMARY KEY (integration_id, conversation_id)
  )`,
];

const DOWN: readonly string[] = ['DROP TABLE IF EXISTS plugin_dingtalk_seen_group', 'DROP TABLE IF EXISTS plugin_dingtalk_access_refusal'];

export class AccessControl1732000000011 implements MigrationInterface {
  name = 'AccessControl1732000000011';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of UP) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of DOWN) await queryRunner.query(statement);
  }
}
