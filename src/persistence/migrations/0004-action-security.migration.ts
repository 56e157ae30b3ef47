import { StatementsMigration } from './statements.migration';

/**
 * Two tables for authenticated actions:
 * - `action_use`: every signed action (End, Confirm, Reject) carries a nonce; the first use is
 *   recorded here, so a link or card button acts once whatever path it arrives by (browser, HTTP
 *   card callback, Stream card callback) and however long the inbox keeps its rows.
 * - `card_route`: the card callback route each HTTP-mode integration registered with DingTalk, with
 *   the apiSecret DingTalk signs the callbacks with (generated here unless the admin configured one).
 */
const UP: readonly string[] = [
  `CREATE TABLE plugin_dingtalk_action_use (
     integration_id text NOT NULL,
     nonce text NOT NULL,
     action text NOT NULL,
     session_key text NOT NULL,
     job_id text NOT NULL,
     used_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (integration_id, nonce)
   )`,
  `CREATE TABLE plugin_dingtalk_card_route (
     integration_id text PRIMARY KEY,
     route_key text NOT NULL,
     api_secret text NOT NULL,
     callback_url text,
     registered_at timestamptz,
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now()
   )`,
];

const DOWN: readonly string[] = ['DROP TABLE IF EXISTS plugin_dingtalk_card_route', 'DROP TABLE IF EXISTS plugin_dingtalk_action_use'];

export class ActionSecurity1732000000004 extends StatementsMigration {
  name = 'ActionSecurity1732000000004';
  protected readonly upStatements = UP;
  protected readonly downStatements = DOWN;
}
