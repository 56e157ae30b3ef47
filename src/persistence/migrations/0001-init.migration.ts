import { StatementsMigration } from './statements.migration';

/**
 * The six plugin tables of DESIGN §5. Raw SQL, one statement per query, so the same text runs on a
 * PostgreSQL server and on PGlite. Ids default to gen_random_uuid() (core since PostgreSQL 13), never
 * to an extension function: PGlite has neither uuid-ossp nor pgcrypto.
 *
 * Never edit a migration that has shipped; add the next numbered file instead.
 */
const UP: readonly string[] = [
  `CREATE TABLE plugin_dingtalk_trigger_binding (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    integration_id text NOT NULL,
    xpert_id text NOT NULL,
    tenant_id text NULL,
    organization_id text NULL,
    enabled boolean NOT NULL DEFAULT true,
    config jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT plugin_dingtalk_trigger_binding_integration_uq UNIQUE (integration_id)
  )`,
  `CREATE INDEX plugin_dingtalk_trigger_binding_xpert_idx ON plugin_dingtalk_trigger_binding (xpert_id)`,

  `CREATE TABLE plugin_dingtalk_conversation_binding (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_key text NOT NULL,
    integration_id text NOT NULL,
    conversation_id text NOT NULL,
    sender_id text NOT NULL,
    xpert_id text NOT NULL,
    thread_id text NOT NULL,
    last_active_at timestamptz NOT NULL DEFAULT now(),
    ended_at timestamptz NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT plugin_dingtalk_conversation_binding_session_uq UNIQUE (session_key)
  )`,

  `CREATE TABLE plugin_dingtalk_inbox (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    integration_id text NOT NULL,
    event_id text NOT NULL,
    kind text NOT NULL,
    conversation_id text NULL,
    sender_id text NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT plugin_dingtalk_inbox_event_uq UNIQUE (integration_id, event_id)
  )`,
  `CREATE INDEX plugin_dingtalk_inbox_received_at_idx ON plugin_dingtalk_inbox (received_at)`,

  `CREATE TABLE plugin_dingtalk_handoff (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigserial NOT NULL,
    kind text NOT NULL,
    integration_id text NOT NULL,
    session_key text NULL,
    payload jsonb NOT NULL DEFAULT '{}'::jsonb,
    status text NOT NULL DEFAULT 'queued',
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 5,
    run_at timestamptz NOT NULL DEFAULT now(),
    lease_owner text NULL,
    lease_until timestamptz NULL,
    last_error text NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz NULL,
    CONSTRAINT plugin_dingtalk_handoff_status_ck CHECK (status IN ('queued', 'running', 'done', 'dead')),
    CONSTRAINT plugin_dingtalk_handoff_attempts_ck CHECK (attempts >= 0 AND max_attempts >= 1)
  )`,
  // The claim scan: due queued jobs.
  `CREATE INDEX plugin_dingtalk_handoff_status_run_at_idx ON plugin_dingtalk_handoff (status, run_at)`,
  // The per-session order check: "is an earlier job of this session still pending?"
  `CREATE INDEX plugin_dingtalk_handoff_session_seq_idx ON plugin_dingtalk_handoff (session_key, seq)`,

  `CREATE TABLE plugin_dingtalk_aggregate (
    session_key text PRIMARY KEY,
    integration_id text NOT NULL,
    version integer NOT NULL,
    messages jsonb NOT NULL DEFAULT '[]'::jsonb,
    flush_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,

  `CREATE TABLE plugin_dingtalk_outbox (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    idempotency_key text NOT NULL,
    integration_id text NOT NULL,
    target_type text NOT NULL,
    target_id text NOT NULL,
    message_kind text NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    process_query_key text NULL,
    out_track_id text NULL,
    request jsonb NULL,
    result jsonb NULL,
    error text NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    recalled_at timestamptz NULL,
    CONSTRAINT plugin_dingtalk_outbox_idempotency_uq UNIQUE (idempotency_key),
    CONSTRAINT plugin_dingtalk_outbox_target_type_ck CHECK (target_type IN ('user', 'group', 'webhook', 'card')),
    CONSTRAINT plugin_dingtalk_outbox_status_ck CHECK (status IN ('pending', 'sent', 'failed', 'recalled'))
  )`,
  // Update and recall look a message up by the key DingTalk gave back.
  `CREATE INDEX plugin_dingtalk_outbox_process_query_key_idx ON plugin_dingtalk_outbox (integration_id, process_query_key)`,
  `CREATE INDEX plugin_dingtalk_outbox_out_track_id_idx ON plugin_dingtalk_outbox (integration_id, out_track_id)`,
];

const DOWN: readonly string[] = [
  'DROP TABLE IF EXISTS plugin_dingtalk_outbox',
  'DROP TABLE IF EXISTS plugin_dingtalk_aggregate',
  'DROP TABLE IF EXISTS plugin_dingtalk_handoff',
  'DROP TABLE IF EXISTS plugin_dingtalk_inbox',
  'DROP TABLE IF EXISTS plugin_dingtalk_conversation_binding',
  'DROP TABLE IF EXISTS plugin_dingtalk_trigger_binding',
];

/** TypeORM reads the timestamp from the class name suffix; it orders migrations by it. */
export class Init1732000000001 extends StatementsMigration {
  name = 'Init1732000000001';
  protected readonly upStatements = UP;
  protected readonly downStatements = DOWN;
}
