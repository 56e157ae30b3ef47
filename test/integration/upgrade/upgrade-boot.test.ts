import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { createFakeThreadsApi, type FakeThreadsApi } from '../../../sandbox/fake-xpert/threads-api';
import { openHostDatabase } from '../../../sandbox/host/host-database';
import { DingTalkUserDriver } from '../../../sandbox/simulator/user-driver';
import { LEGACY_009_TABLES, PLUGIN_MIGRATIONS_TABLE, TriggerBindingRepository } from '../../../src/persistence';
import { PluginDatabase } from '../../../src/core/plugin-database.service';
import { TriggerCallbacks } from '../../../src/trigger/trigger-callbacks';
import { CaptureLogger } from '../../support/capture-logger';
import { createServerDatabase, databaseUrl, usingServer } from '../../support/database';
import { STREAM_APP, startPluginHost, type PluginHost } from '../../support/plugin-host';
import { waitFor } from '../../support/wait-for';
import { seedLegacy, type LegacySeed } from './legacy-009-fixture';

/**
 * The upgrade as an admin lives it: a server database with what 0.0.9 left (its two tables with
 * rows, a `dingtalk_long` integration record with 0.0.9's option keys), our plugin boots on it,
 * and people keep talking to the same expert.
 */
const ROBOT_TOPIC = '/v1.0/im/bot/messages/get';
const API_KEY = 'sk-upgrade-test-key';

// 0.0.9's keys only: no `mode`, `preferLanguage` instead of `preferredLanguage`.
const LEGACY_STREAM_OPTIONS = { clientId: STREAM_APP.clientId, clientSecret: STREAM_APP.clientSecret, robotCode: STREAM_APP.robotCode, preferLanguage: 'en', connectionMode: 'long_connection', webhookSignSecret: 'SECold' };

const streamId = randomUUID();
const seed: LegacySeed = {
  integrationId: streamId,
  xpertId: randomUUID(),
  otherXpertId: randomUUID(),
  tenantId: randomUUID(),
  organizationId: randomUUID(),
  conversationId: 'cidLegacyGroup0123456789==',
  senderId: 'staff-0009',
  xpertConversationId: randomUUID(),
  // Well inside the 30-minute timeout: the session is still live after the upgrade.
  lastActiveAt: new Date(Date.now() - 60_000),
  sessionTimeoutSeconds: 1800,
};
const sessionKey = `${streamId}:${seed.conversationId}:${seed.senderId}`;

// A person 0.0.9 keyed by the encrypted sender id (the id DingTalk's message carries next to the
// staff id); the simulator derives it from the staff id like this, checked below.
const ENCRYPTED_STAFF = 'staff-keyed-encrypted';
const encryptedSenderId = `$:LWCP_v1:$${createHash('sha1').update(`user\u0000${ENCRYPTED_STAFF}`).digest('base64url').slice(0, 16)}`;
const encryptedConversationId = randomUUID();

async function seedAll(ds: DataSource): Promise<void> {
  await seedLegacy((sql, params) => ds.query(sql, params), seed);
  await ds.query(
    `INSERT INTO plugin_dingtalk_conversation_binding ("conversationUserKey", "xpertId", "conversationId", "updatedAt") VALUES ($1, $2, $3, $4::timestamptz)`,
    [`${streamId}:${seed.conversationId}:${encryptedSenderId}`, seed.xpertId, encryptedConversationId, seed.lastActiveAt.toISOString()],
  );
}

let database: { url?: string; dataDir?: string };
let dropDatabase: () => Promise<void>;
let stack: PluginHost | undefined;
let logger: CaptureLogger;
let fake: FakeThreadsApi;
let fakeUrl: string;

async function boot(withSeed: boolean): Promise<PluginHost> {
  logger = new CaptureLogger();
  const host = await startPluginHost({
    database,
    ids: { stream: streamId },
    streamProvider: 'dingtalk_long',
    streamOptions: LEGACY_STREAM_OPTIONS,
    logger,
    ...(withSeed ? { beforeBoot: seedAll } : {}),
  });
  await host.host.get(PluginDatabase).open();
  return host;
}

async function sessionRow(key = sessionKey): Promise<Record<string, any>> {
  const [row] = await stack!.host.hostDataSource.query(
    `SELECT xpert_id, thread_id, xpert_conversation_id, sender_id, last_active_at, ended_at FROM plugin_dingtalk_conversation_binding WHERE session_key = $1`,
    [key],
  );
  return row;
}

function say(text: string, senderStaffId = seed.senderId) {
  const driver = new DingTalkUserDriver({ simulator: stack!.simulator, app: STREAM_APP });
  return stack!.simulator.gateway.pushCallback(STREAM_APP.clientId, ROBOT_TOPIC, driver.robotMessage({ conversationType: 'group', conversationId: seed.conversationId, senderStaffId, text }));
}

beforeAll(async () => {
  if (usingServer) {
    const server = await createServerDatabase(databaseUrl as string);
    database = { url: server.url };
    dropDatabase = server.drop;
  } else {
    // On disk, so the second boot finds what the first one left.
    const dataDir = mkdtempSync(join(tmpdir(), 'dingtalk-upgrade-'));
    database = { dataDir };
    dropDatabase = async () => rmSync(dataDir, { recursive: true, force: true });
  }
  fake = createFakeThreadsApi({ apiKey: API_KEY });
  fakeUrl = await fake.listen();
  stack = await boot(true);
});

afterAll(async () => {
  await stack?.close();
  await fake?.close();
  await dropDatabase?.();
});

describe('booting on a database 0.0.9 left behind', () => {
  it('migrates both bindings, keeps the legacy rows readable and logs one line with counts', async () => {
    const binding = await new TriggerBindingRepository(stack!.host.get(PluginDatabase).db).findByIntegration(streamId);
    expect(binding).toMatchObject({ xpertId: seed.xpertId, enabled: true, tenantId: seed.tenantId, config: { sessionTimeoutSeconds: 1800 } });
    expect(await sessionRow()).toMatchObject({ xpert_id: seed.xpertId, xpert_conversation_id: seed.xpertConversationId, ended_at: null });
    const [legacy] = await stack!.host.hostDataSource.query(`SELECT count(*)::int AS n FROM ${LEGACY_009_TABLES.conversationBinding}`);
    expect(Number(legacy.n)).toBe(5);
    expect(logger.lines.filter((line) => line.includes('copied of'))).toEqual([
      expect.stringContaining('trigger bindings 1 copied of 1, conversation bindings 3 copied as sessions of 5'),
    ]);
  });

  it('the dingtalk_long record (0.0.9 keys, no mode) connects over Stream', async () => {
    await stack!.simulator.gateway.waitForConnection(STREAM_APP.clientId);
    const response = await fetch(`${stack!.host.url}/api/dingtalk/status/${streamId}`, { headers: { authorization: stack!.host.authorization } });
    expect(await response.json()).toMatchObject({ integrationId: streamId, mode: 'stream', state: 'connected' });
  });

  it("the person's next message continues their session with the bound expert (host callback, as 3.7 runs a replayed trigger)", async () => {
    const before = await sessionRow();
    const payloads: Array<Record<string, any>> = [];
    stack!.host.get(TriggerCallbacks).register(seed.xpertId, (payload) => void payloads.push(payload as Record<string, any>));
    try {
      expect(await say('still there?')).toMatchObject({ acked: true });
      await waitFor(() => payloads.length === 1, 'the bound expert to be called');
      expect(payloads[0]).toMatchObject({ xpertId: seed.xpertId, state: { human: { input: expect.stringContaining('still there?'), dingtalk: { integrationId: streamId, senderStaffId: seed.senderId, language: 'en' } } } });
      const after = await sessionRow();
      // Same session: same thread and Xpert conversation, later activity, not ended.
      expect(after).toMatchObject({ xpert_id: seed.xpertId, thread_id: before.thread_id, xpert_conversation_id: seed.xpertConversationId, ended_at: null });
      expect(new Date(after.last_active_at).getTime()).toBeGreaterThan(new Date(before.last_active_at).getTime());
    } finally {
      stack!.host.get(TriggerCallbacks).unregister(seed.xpertId);
    }
  });

  it('a person 0.0.9 keyed by the encrypted sender id continues too: the session moves onto our key', async () => {
    const driver = new DingTalkUserDriver({ simulator: stack!.simulator, app: STREAM_APP });
    expect(driver.robotMessage({ conversationType: 'group', senderStaffId: ENCRYPTED_STAFF }).senderId).toBe(encryptedSenderId);
    const earlierKey = `${streamId}:${seed.conversationId}:${encryptedSenderId}`;
    const before = await sessionRow(earlierKey);
    expect(before).toMatchObject({ xpert_conversation_id: encryptedConversationId, sender_id: encryptedSenderId });
    const payloads: unknown[] = [];
    stack!.host.get(TriggerCallbacks).register(seed.xpertId, (payload) => void payloads.push(payload));
    try {
      expect(await say('hello again', ENCRYPTED_STAFF)).toMatchObject({ acked: true });
      await waitFor(() => payloads.length === 1, 'the bound expert to be called');
      expect(await sessionRow(earlierKey)).toBeUndefined();
      expect(await sessionRow(`${streamId}:${seed.conversationId}:${ENCRYPTED_STAFF}`)).toMatchObject({
        thread_id: before.thread_id,
        xpert_conversation_id: encryptedConversationId,
        sender_id: ENCRYPTED_STAFF,
        ended_at: null,
      });
    } finally {
      stack!.host.get(TriggerCallbacks).unregister(seed.xpertId);
    }
  });

  it('with an Xpert API key on the binding, the bound expert answers in DingTalk on the same thread', async () => {
    const repo = new TriggerBindingRepository(stack!.host.get(PluginDatabase).db);
    const binding = await repo.findByIntegration(streamId);
    await repo.upsert({ ...binding!, config: { ...binding!.config, xpertApiKey: API_KEY, xpertApiBaseUrl: fakeUrl } });
    const { thread_id: threadId } = await sessionRow();
    const before = stack!.simulator.messages().length;
    expect(await say('what did we say?')).toMatchObject({ acked: true });
    await waitFor(() => fake.runs().some((run) => run.outcome === 'completed'), 'the expert run');
    await waitFor(() => stack!.simulator.messages().length > before, 'the answer in DingTalk');
    expect(fake.runs()[0]).toMatchObject({ assistantId: seed.xpertId, threadId });
    expect(stack!.simulator.messages()[before].target).toEqual({ type: 'group', id: seed.conversationId });
  });

  it('a 0.0.9 End link answers 410 with the localized page and changes nothing', async () => {
    const before = await sessionRow();
    const [jobs] = await stack!.host.hostDataSource.query(`SELECT count(*)::int AS n FROM plugin_dingtalk_handoff`);
    const query = new URLSearchParams({ integrationId: streamId, conversationUserKey: sessionKey, action: 'dingtalk:end', xpertId: seed.xpertId });
    const response = await fetch(`${stack!.host.url}/api/dingtalk/action?${query.toString()}`, { headers: { 'accept-language': 'en-US,en;q=0.9' } });
    expect(response.status).toBe(410);
    const page = await response.text();
    expect(page).toContain('This button is from an earlier version');
    expect(page).toContain('Send a message to the bot');
    const zh = await fetch(`${stack!.host.url}/api/dingtalk/action?${query.toString()}`, { headers: { 'accept-language': 'zh-CN' } });
    expect(zh.status).toBe(410);
    expect(await zh.text()).toContain('这是旧版本的按钮');
    expect(await sessionRow()).toEqual(before);
    const [after] = await stack!.host.hostDataSource.query(`SELECT count(*)::int AS n FROM plugin_dingtalk_handoff`);
    expect(after.n).toBe(jobs.n);
  });

  it('a second boot applies nothing and copies nothing', async () => {
    const [migrations] = await stack!.host.hostDataSource.query(`SELECT count(*)::int AS n FROM ${PLUGIN_MIGRATIONS_TABLE}`);
    const sessions = await stack!.host.hostDataSource.query(`SELECT session_key, thread_id, xpert_id FROM plugin_dingtalk_conversation_binding ORDER BY session_key`);
    await stack!.close();
    stack = undefined;
    stack = await boot(false);
    expect(logger.text()).not.toContain('0.0.9');
    const [again] = await stack.host.hostDataSource.query(`SELECT count(*)::int AS n FROM ${PLUGIN_MIGRATIONS_TABLE}`);
    expect(again.n).toBe(migrations.n);
    expect(await stack.host.hostDataSource.query(`SELECT session_key, thread_id, xpert_id FROM plugin_dingtalk_conversation_binding ORDER BY session_key`)).toEqual(sessions);
  });
});

// Two replicas on one PostgreSQL server: only there can they race for the migration lock.
(usingServer ? describe : describe.skip)('two replicas booting at once on a 0.0.9 database', () => {
  it('one moves and copies; both end up serving the migrated bindings', async () => {
    const server = await createServerDatabase(databaseUrl as string);
    const replicaSeed: LegacySeed = { ...seed, integrationId: randomUUID() };
    const loggers = [new CaptureLogger(), new CaptureLogger()];
    const stacks: PluginHost[] = [];
    try {
      // The host's own tables exist before any replica boots, as on a real server.
      const setup = await openHostDatabase({ url: server.url });
      await seedLegacy((sql, params) => setup.query(sql, params), replicaSeed);
      await setup.destroy();
      const started = await Promise.allSettled(
        loggers.map((replicaLogger) => startPluginHost({ database: { url: server.url }, withStream: false, ids: { http: replicaSeed.integrationId }, logger: replicaLogger })),
      );
      for (const result of started) if (result.status === 'fulfilled') stacks.push(result.value);
      expect(started.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      await Promise.all(stacks.map((s) => s.host.get(PluginDatabase).open()));
      const lines = loggers.flatMap((l) => l.lines);
      expect(lines.filter((line) => line.includes('kept its tables aside'))).toHaveLength(1);
      expect(lines.filter((line) => line.includes('copied of'))).toHaveLength(1);
      for (const s of stacks) {
        const binding = await new TriggerBindingRepository(s.host.get(PluginDatabase).db).findByIntegration(replicaSeed.integrationId);
        expect(binding?.xpertId).toBe(replicaSeed.xpertId);
      }
      const [counts] = await stacks[0].host.hostDataSource.query(`SELECT count(*)::int AS n FROM plugin_dingtalk_conversation_binding`);
      expect(counts.n).toBe(2);
    } finally {
      for (const s of stacks) await s.close().catch(() => undefined);
      await server.drop();
    }
  });
});
