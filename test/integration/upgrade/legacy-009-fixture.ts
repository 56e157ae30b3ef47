import { randomUUID } from 'node:crypto';

/**
 * The two tables the earlier 0.0.9 plugin left in the host database, as the host's schema sync
 * created them (TypeORM default naming: camelCase quoted columns, PK_/IDX_ style names where it
 * chose them, the explicit names where the entity gave them), with a few rows.
 */
export const LEGACY_DDL: readonly string[] = [
  `CREATE TABLE plugin_dingtalk_trigger_binding (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    "integrationId" varchar(36) NOT NULL,
    "xpertId" varchar(36) NOT NULL,
    "sessionTimeoutSeconds" integer DEFAULT 3600,
    "summaryWindowSeconds" integer DEFAULT 0,
    "tenantId" varchar(36) NULL,
    "organizationId" varchar(36) NULL,
    "createdById" varchar(36) NULL,
    "updatedById" varchar(36) NULL,
    "createdAt" timestamptz NOT NULL DEFAULT now(),
    "updatedAt" timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT "PK_7d1e0f5c2b3a4e6f8a9b0c1d2e3" PRIMARY KEY (id)
  )`,
  `CREATE UNIQUE INDEX plugin_dingtalk_trigger_binding_integration_id_uq ON plugin_dingtalk_trigger_binding ("integrationId")`,
  `CREATE INDEX plugin_dingtalk_trigger_binding_tenant_org_idx ON plugin_dingtalk_trigger_binding ("tenantId", "organizationId")`,
  `CREATE TABLE plugin_dingtalk_conversation_binding (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    "userId" varchar(128) NULL,
    "conversationUserKey" varchar(255) NOT NULL,
    "xpertId" varchar(36) NULL,
    "conversationId" varchar(36) NULL,
    "tenantId" varchar(36) NULL,
    "organizationId" varchar(36) NULL,
    "createdById" varchar(36) NULL,
    "updatedById" varchar(36) NULL,
    "createdAt" timestamptz NOT NULL DEFAULT now(),
    "updatedAt" timestamptz NOT NULL DEFAULT now(),
    -- A primary key named the way a plain CREATE TABLE names it: exactly the name our 0001 would use.
    CONSTRAINT plugin_dingtalk_conversation_binding_pkey PRIMARY KEY (id)
  )`,
  `CREATE INDEX plugin_dingtalk_conversation_binding_user_id_idx ON plugin_dingtalk_conversation_binding ("userId")`,
  `CREATE UNIQUE INDEX plugin_dingtalk_conversation_binding_user_key_xpert_uq ON plugin_dingtalk_conversation_binding ("conversationUserKey", "xpertId")`,
];

export interface LegacySeed {
  integrationId: string;
  xpertId: string;
  otherXpertId: string;
  tenantId: string;
  organizationId: string;
  conversationId: string;
  senderId: string;
  /** The Xpert conversation the live session continued. */
  xpertConversationId: string;
  /** When the person last wrote (0.0.9's updatedAt). */
  lastActiveAt: Date;
  sessionTimeoutSeconds: number;
}

type Query = (sql: string, parameters?: unknown[]) => Promise<unknown>;

/**
 * One trigger binding; for its integration one person with two rows (the bound expert's, and an
 * older one with another expert, which 0.0.9's (key, expert) uniqueness allowed), a second person,
 * and a row with an empty expert that cannot become a session.
 */
export async function seedLegacy(query: Query, seed: LegacySeed): Promise<void> {
  for (const statement of LEGACY_DDL) await query(statement);
  const audit = randomUUID();
  await query(
    `INSERT INTO plugin_dingtalk_trigger_binding ("integrationId", "xpertId", "sessionTimeoutSeconds", "summaryWindowSeconds", "tenantId", "organizationId", "createdById", "updatedById")
     VALUES ($1, $2, $3, 5, $4, $5, $6, $6)`,
    [seed.integrationId, seed.xpertId, seed.sessionTimeoutSeconds, seed.tenantId, seed.organizationId, audit],
  );
  const key = `${seed.integrationId}:${seed.conversationId}:${seed.senderId}`;
  const rows: Array<[string, string | null, string | null, Date]> = [
    [key, seed.xpertId, seed.xpertConversationId, seed.lastActiveAt],
    [key, seed.otherXpertId, randomUUID(), new Date(seed.lastActiveAt.getTime() + 60_000)],
    [`${seed.integrationId}:${seed.conversationId}:$:LWCP_v1:$other==`, seed.xpertId, randomUUID(), new Date(seed.lastActiveAt.getTime() - 86_400_000)],
    [`${seed.integrationId}:${seed.conversationId}:nobody`, null, null, seed.lastActiveAt],
  ];
  for (const [conversationUserKey, xpertId, conversationId, updatedAt] of rows) {
    await query(
      `INSERT INTO plugin_dingtalk_conversation_binding ("userId", "conversationUserKey", "xpertId", "conversationId", "tenantId", "organizationId", "createdById", "updatedById", "createdAt", "updatedAt")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8::timestamptz, $8::timestamptz)`,
      [randomUUID(), conversationUserKey, xpertId, conversationId, seed.tenantId, seed.organizationId, audit, updatedAt.toISOString()],
    );
  }
}
