import type { MigrationInterface, QueryRunner } from 'typeorm';
import { LEGACY_009_TABLES, reportUpgrade } from '../legacy-tables';

/**
 * Carries the bindings of the earlier 0.0.9 plugin (kept aside by the step before 0001, see
 * legacy-tables.ts) into ours, so an upgrade keeps who answers and what people were talking about:
 * - trigger bindings → ours: enabled, both timeouts in `config` (brought inside our limits, as a
 *   publish would), tenant and organization;
 * - conversation bindings → sessions. 0.0.9's `conversationUserKey` is
 *   `integrationId:conversationId:senderId`, the same text as our session key; the Xpert
 *   conversation it continued goes to `xpert_conversation_id` (the host-dispatch runner continues
 *   it), and `last_active_at` = its `updatedAt`, so the session is live only within its timeout.
 *   `thread_id` is a fresh, deterministic id: 0.0.9 kept no threads-API thread.
 *   0.0.9 allowed one row per (key, expert); we keep one per key — the bound expert's, else the
 *   most recent.
 * Rows already in our tables win (ON CONFLICT DO NOTHING); the legacy tables are only read.
 * On a fresh or 3.7 database there is nothing to copy and only the column is added.
 */
const ADD_COLUMN = `ALTER TABLE plugin_dingtalk_conversation_binding ADD COLUMN IF NOT EXISTS xpert_conversation_id text NULL`;

const COPY_TRIGGER_BINDINGS = `
  INSERT INTO plugin_dingtalk_trigger_binding (integration_id, xpert_id, tenant_id, organization_id, enabled, config, created_at, updated_at)
  SELECT l."integrationId", l."xpertId", l."tenantId", l."organizationId", true,
         jsonb_build_object(
           'sessionTimeoutSeconds', LEAST(GREATEST(COALESCE(l."sessionTimeoutSeconds", 3600), 60), 604800),
           'summaryWindowSeconds', LEAST(GREATEST(COALESCE(l."summaryWindowSeconds", 0), 0), 300)),
         COALESCE(l."createdAt", now()), COALESCE(l."updatedAt", now())
    FROM ${LEGACY_009_TABLES.triggerBinding} l
   WHERE COALESCE(l."integrationId", '') <> '' AND COALESCE(l."xpertId", '') <> ''
  ON CONFLICT (integration_id) DO NOTHING
  RETURNING id`;

const COPY_SESSIONS = `
  WITH legacy AS (
    SELECT l.*,
           split_part(l."conversationUserKey", ':', 1) AS k_integration,
           split_part(l."conversationUserKey", ':', 2) AS k_conversation,
           substr(l."conversationUserKey",
                  length(split_part(l."conversationUserKey", ':', 1)) + length(split_part(l."conversationUserKey", ':', 2)) + 3) AS k_sender
      FROM ${LEGACY_009_TABLES.conversationBinding} l
     WHERE COALESCE(l."xpertId", '') <> ''
  ), chosen AS (
    SELECT DISTINCT ON (legacy."conversationUserKey") legacy.*
      FROM legacy
      LEFT JOIN plugin_dingtalk_trigger_binding t ON t.integration_id = legacy.k_integration
     WHERE legacy.k_integration <> '' AND legacy.k_conversation <> '' AND legacy.k_sender <> ''
     ORDER BY legacy."conversationUserKey", (t.xpert_id IS NOT DISTINCT FROM legacy."xpertId") DESC, legacy."updatedAt" DESC NULLS LAST
  )
  INSERT INTO plugin_dingtalk_conversation_binding
         (session_key, integration_id, conversation_id, sender_id, xpert_id, thread_id, xpert_conversation_id,
          last_active_at, ended_at, created_at, updated_at)
  SELECT c."conversationUserKey", c.k_integration, c.k_conversation, c.k_sender, c."xpertId",
         md5('dingtalk-0.0.9:' || c.id::text)::uuid::text, NULLIF(c."conversationId", ''),
         COALESCE(c."updatedAt", c."createdAt", now()), NULL, COALESCE(c."createdAt", now()), now()
    FROM chosen c
  ON CONFLICT (session_key) DO NOTHING
  RETURNING id`;

async function exists(queryRunner: QueryRunner, table: string): Promise<boolean> {
  const [row] = (await queryRunner.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [table])) as Array<{ present: boolean }>;
  return row?.present === true;
}

async function countRows(queryRunner: QueryRunner, table: string): Promise<number> {
  const [row] = (await queryRunner.query(`SELECT count(*)::int AS n FROM ${table}`)) as Array<{ n: number }>;
  return Number(row?.n ?? 0);
}

export class LegacyBindings1732000000009 implements MigrationInterface {
  name = 'LegacyBindings1732000000009';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(ADD_COLUMN);
    const hasTriggers = await exists(queryRunner, LEGACY_009_TABLES.triggerBinding);
    const hasSessions = await exists(queryRunner, LEGACY_009_TABLES.conversationBinding);
    if (!hasTriggers && !hasSessions) return;
    const triggers = hasTriggers ? { found: await countRows(queryRunner, LEGACY_009_TABLES.triggerBinding), copied: ((await queryRunner.query(COPY_TRIGGER_BINDINGS)) as unknown[]).length } : { found: 0, copied: 0 };
    const sessions = hasSessions ? { found: await countRows(queryRunner, LEGACY_009_TABLES.conversationBinding), copied: ((await queryRunner.query(COPY_SESSIONS)) as unknown[]).length } : { found: 0, copied: 0 };
    // Counts only: the rows hold ids of people and conversations.
    reportUpgrade(
      queryRunner.connection,
      `DingTalk plugin upgrade from 0.0.9: trigger bindings ${triggers.copied} copied of ${triggers.found}, ` +
        `conversation bindings ${sessions.copied} copied as sessions of ${sessions.found} (the legacy tables are kept unchanged)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The copied rows stay (they are ours now); only the column goes, and the legacy tables were never changed.
    await queryRunner.query(`ALTER TABLE plugin_dingtalk_conversation_binding DROP COLUMN IF EXISTS xpert_conversation_id`);
  }
}
