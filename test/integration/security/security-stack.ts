import { randomUUID } from 'node:crypto';
import { actionLinkSecret, buildActionLink, type ActionLink } from '../../../src/kernel/action-link';
import { ConversationBindingRepository, type Queryable } from '../../../src/persistence';
import { ConversationStateRepository } from '../../../src/persistence/conversation-state.repository';
import { PluginDatabase } from '../../../src/core/plugin-database.service';
import { CaptureLogger } from '../../support/capture-logger';
import { HTTP_APP, startPluginHost, type PluginHost, type PluginHostOptions } from '../../support/plugin-host';

/**
 * The whole stack as an attacker meets it: the plugin in the host harness behind real HTTP, the
 * DingTalk simulator, and counters for everything an attack could change — plugin rows, outbound
 * calls to DingTalk and the state of a victim's session.
 */
export interface SecurityStack extends PluginHost {
  logger: CaptureLogger;
  db: Queryable;
  /** Every row an accepted request or action writes. */
  rows(): Promise<Record<string, number>>;
  /** A live session of `integrationId` (what a first message would have opened). */
  seedSession(input: { integrationId?: string; conversationId?: string; senderId?: string; group?: boolean }): Promise<Session>;
  binding(sessionKey: string): Promise<{ threadId: string; endedAt: Date | null } | null>;
  link(session: Session, patch?: Partial<ActionLink>, clientSecret?: string): string;
  /** POSTs `Test` for an integration as the harness admin (registers the card callback route). */
  test(integrationId: string, options: Record<string, unknown>, authorization?: string): Promise<{ status: number; body: any }>;
  /** A card the robot sent, created through the simulator's OpenAPI like the plugin does. */
  createCard(input: { callbackRouteKey?: string; callbackType?: 'HTTP' | 'STREAM'; clientId?: string; clientSecret?: string }): Promise<string>;
}

export interface Session {
  integrationId: string;
  sessionKey: string;
  threadId: string;
  senderId: string;
  conversationId: string;
}

const ROW_TABLES = ['inbox', 'handoff', 'action_use', 'outbox', 'conversation_binding'];

export async function startSecurityStack(options: PluginHostOptions = {}): Promise<SecurityStack> {
  const logger = new CaptureLogger();
  const stack = await startPluginHost({ withStream: false, logger, ...options });
  // The plugin's own database handle: the same rows, and the parameter handling its repositories expect.
  const db: Queryable = await (stack.host.get(PluginDatabase) as PluginDatabase).open();
  const bindings = new ConversationBindingRepository(db);
  return {
    ...stack,
    logger,
    db,
    async rows() {
      const out: Record<string, number> = {};
      for (const table of ROW_TABLES) {
        // A table this version does not have yet counts as empty (so the same test runs on older code).
        const [exists] = await db.query<{ name: string | null }>(`SELECT to_regclass('plugin_dingtalk_${table}')::text AS name`);
        if (!exists?.name) {
          out[table] = 0;
          continue;
        }
        const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM plugin_dingtalk_${table}`);
        out[table] = Number(row.n);
      }
      return out;
    },
    async seedSession(input) {
      const integrationId = input.integrationId ?? stack.http.id;
      const conversationId = input.conversationId ?? `cid-${randomUUID().slice(0, 8)}`;
      const senderId = input.senderId ?? 'alice';
      const sessionKey = `${integrationId}:${conversationId}:${senderId}`;
      const binding = await bindings.start(sessionKey, { integrationId, conversationId, senderId, xpertId: 'xpert-1' });
      await new ConversationStateRepository(db).setReplyTarget(sessionKey, {
        integrationId,
        conversationType: input.group ? 'group' : 'private',
        conversationId,
        senderStaffId: senderId,
        language: 'en',
      });
      return { integrationId, sessionKey, threadId: binding.threadId, senderId, conversationId };
    },
    async binding(sessionKey) {
      const binding = await bindings.get(sessionKey);
      return binding ? { threadId: binding.threadId, endedAt: binding.endedAt } : null;
    },
    link(session, patch = {}, clientSecret = HTTP_APP.clientSecret) {
      return buildActionLink(
        stack.host.url,
        { integrationId: session.integrationId, sessionKey: session.sessionKey, threadId: session.threadId, action: 'dingtalk:end', expiresAt: Date.now() + 3_600_000, ...patch },
        actionLinkSecret(clientSecret),
      );
    },
    async test(integrationId, integrationOptions, authorization = stack.host.authorization) {
      const response = await fetch(`${stack.host.url}/api/dingtalk/test`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ id: integrationId, provider: 'dingtalk', options: integrationOptions }),
      });
      const text = await response.text();
      return { status: response.status, body: safeJson(text) };
    },
    async createCard(input) {
      const clientId = input.clientId ?? HTTP_APP.clientId;
      const token = await fetch(`${stack.simulator.baseUrl}/v1.0/oauth2/accessToken`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appKey: clientId, appSecret: input.clientSecret ?? HTTP_APP.clientSecret }),
      }).then((r) => r.json() as Promise<{ accessToken: string }>);
      const outTrackId = `card-${randomUUID()}`;
      const response = await fetch(`${stack.simulator.baseUrl}/v1.0/card/instances/createAndDeliver`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-acs-dingtalk-access-token': token.accessToken },
        body: JSON.stringify({
          cardTemplateId: 'tpl.security',
          outTrackId,
          cardData: { cardParamMap: { title: 'Confirm?' } },
          openSpaceId: 'dtv1.card//IM_GROUP.cid-group',
          imGroupOpenDeliverModel: { robotCode: clientId },
          imGroupOpenSpaceModel: { supportForward: true },
          callbackType: input.callbackType ?? 'HTTP',
          ...(input.callbackRouteKey ? { callbackRouteKey: input.callbackRouteKey } : {}),
        }),
      });
      if (response.status !== 200) throw new Error(`card not created: ${response.status} ${await response.text()}`);
      return outTrackId;
    },
  };
}

/** Waits (event-free state elsewhere) until every job has left the queue. */
export async function settled(stack: SecurityStack, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await stack.db.query(`SELECT count(*)::int AS n FROM plugin_dingtalk_handoff WHERE status IN ('queued', 'running')`);
    if (Number(row.n) === 0) return;
    if (Date.now() > deadline) throw new Error('jobs did not settle');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function safeJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const queryOf = (url: string): Record<string, string> => Object.fromEntries(new URL(url).searchParams.entries());
