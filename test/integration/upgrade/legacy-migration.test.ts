import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  ConversationBindingRepository,
  createPluginDataSource,
  LEGACY_009_TABLES,
  PLUGIN_MIGRATIONS,
  runMigrations,
  TriggerBindingRepository,
  type PersistenceLogger,
} from '../../../src/persistence';
import { createServerDatabase, databaseUrl, openTestDatabase, usingServer, type TestDatabase } from '../../support/database';
import { seedLegacy, type LegacySeed } from './legacy-009-fixture';

function newSeed(): LegacySeed {
  return {
    integrationId: randomUUID(),
    xpertId: randomUUID(),
    otherXpertId: randomUUID(),
    tenantId: randomUUID(),
    organizationId: randomUUID(),
    conversationId: 'cidLegacyGroup0123456789==',
    senderId: 'staff-0009',
    xpertConversationId: randomUUID(),
    lastActiveAt: new Date('2026-11-30T10:00:00.000Z'),
    sessionTimeoutSeconds: 1800,
  };
}

function recordingLogger(): PersistenceLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, debug: () => undefined, log: (m) => lines.push(m), warn: (m) => lines.push(`warn: ${m}`), error: (m) => lines.push(`error: ${m}`) };
}

async function legacyRows(dataSource: DataSource): Promise<{ triggers: number; conversations: number; keys: string[] }> {
  const [t] = await dataSource.query(`SELECT count(*)::int AS n FROM ${LEGACY_009_TABLES.triggerBinding}`);
  const rows: Array<{ conversationUserKey: string }> = await dataSource.query(
    `SELECT "conversationUserKey" FROM ${LEGACY_009_TABLES.conversationBinding} ORDER BY "updatedAt"`,
  );
  return { triggers: Number(t.n), conversations: rows.length, keys: rows.map((r) => r.conversationUserKey) };
}

describe('upgrade from 0.0.9: its tables are kept aside and its bindings carried over', () => {
  let t: TestDatabase;
  const seed = newSeed();
  const logger = recordingLogger();

  beforeAll(async () => {
    t = await openTestDatabase({ migrate: false });
    await seedLegacy((sql, params) => t.dataSource.query(sql, params), seed);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('first boot: moves the legacy tables aside, creates ours, copies both bindings, logs one line with counts', async () => {
    const applied = await runMigrations(t.dataSource, logger);
    expect(applied).toEqual(PLUGIN_MIGRATIONS.map((m) => m.name));

    const binding = await new TriggerBindingRepository(t.db).findByIntegration(seed.integrationId);
    expect(binding).toMatchObject({
      xpertId: seed.xpertId,
      tenantId: seed.tenantId,
      organizationId: seed.organizationId,
      enabled: true,
      config: { sessionTimeoutSeconds: 1800, summaryWindowSeconds: 5 },
    });

    const sessions = new ConversationBindingRepository(t.db);
    const key = `${seed.integrationId}:${seed.conversationId}:${seed.senderId}`;
    const session = await sessions.get(key);
    // The bound expert's row wins over the more recent row of another expert.
    expect(session).toMatchObject({
      integrationId: seed.integrationId,
      conversationId: seed.conversationId,
      senderId: seed.senderId,
      xpertId: seed.xpertId,
      endedAt: null,
      lastActiveAt: seed.lastActiveAt,
    });
    expect(session?.threadId).toMatch(/^[0-9a-f-]{36}$/);
    const [column] = await t.dataSource.query(`SELECT xpert_conversation_id FROM plugin_dingtalk_conversation_binding WHERE session_key = $1`, [key]);
    expect(column.xpert_conversation_id).toBe(seed.xpertConversationId);

    // An encrypted sender id with colons in it keeps them all.
    const other = await sessions.get(`${seed.integrationId}:${seed.conversationId}:$:LWCP_v1:$other==`);
    expect(other?.senderId).toBe('$:LWCP_v1:$other==');
    // The row without an expert could not become a session.
    expect(await sessions.get(`${seed.integrationId}:${seed.conversationId}:nobody`)).toBeNull();

    const upgradeLines = logger.lines.filter((line) => line.includes('0.0.9'));
    expect(upgradeLines).toEqual([
      expect.stringContaining(`kept its tables aside as ${LEGACY_009_TABLES.triggerBinding}, ${LEGACY_009_TABLES.conversationBinding}`),
      'DingTalk plugin upgrade from 0.0.9: trigger bindings 1 copied of 1, conversation bindings 2 copied as sessions of 4 (the legacy tables are kept unchanged)',
    ]);
    expect(logger.lines.join('\n')).not.toContain(seed.senderId);
  });

  it('keeps the legacy rows readable, under their new names, with their indexes renamed too', async () => {
    expect(await legacyRows(t.dataSource)).toMatchObject({ triggers: 1, conversations: 4 });
    const indexes: Array<{ indexname: string; tablename: string }> = await t.dataSource.query(
      `SELECT indexname, tablename FROM pg_indexes WHERE schemaname = current_schema() AND tablename LIKE 'plugin_dingtalk_legacy_009_%' ORDER BY indexname`,
    );
    expect(indexes.map((i) => i.indexname)).toEqual([
      'PK_7d1e0f5c2b3a4e6f8a9b0c1d2e3',
      // 65 characters with the new prefix: PostgreSQL would truncate it, so it gets a short hashed name.
      expect.stringMatching(/^plugin_dingtalk_legacy_009_conversation_binding_[0-9a-f]{12}$/),
      'plugin_dingtalk_legacy_009_conversation_binding_pkey',
      'plugin_dingtalk_legacy_009_conversation_binding_user_id_idx',
      'plugin_dingtalk_legacy_009_trigger_binding_integration_id_uq',
      'plugin_dingtalk_legacy_009_trigger_binding_tenant_org_idx',
    ]);
    const [pk] = await t.dataSource.query(
      `SELECT conname FROM pg_constraint WHERE conrelid = to_regclass('plugin_dingtalk_conversation_binding') AND contype = 'p'`,
    );
    expect(pk.conname).toBe('plugin_dingtalk_conversation_binding_pkey');
  });

  it('second boot changes nothing', async () => {
    const before = await t.dataSource.query(`SELECT session_key, thread_id, last_active_at, updated_at FROM plugin_dingtalk_conversation_binding ORDER BY session_key`);
    const triggersBefore = await t.dataSource.query(`SELECT * FROM plugin_dingtalk_trigger_binding ORDER BY integration_id`);
    const again = recordingLogger();
    expect(await runMigrations(t.dataSource, again)).toEqual([]);
    expect(again.lines.filter((line) => line.includes('0.0.9'))).toEqual([]);
    expect(await t.dataSource.query(`SELECT session_key, thread_id, last_active_at, updated_at FROM plugin_dingtalk_conversation_binding ORDER BY session_key`)).toEqual(before);
    expect(await t.dataSource.query(`SELECT * FROM plugin_dingtalk_trigger_binding ORDER BY integration_id`)).toEqual(triggersBefore);
    expect(await legacyRows(t.dataSource)).toMatchObject({ triggers: 1, conversations: 4 });
  });
});

describe('a database that never had 0.0.9', () => {
  it('fresh: no legacy tables appear and nothing is logged about an upgrade', async () => {
    const t = await openTestDatabase({ migrate: false });
    try {
      const logger = recordingLogger();
      await runMigrations(t.dataSource, logger);
      expect(logger.lines.filter((line) => line.includes('0.0.9'))).toEqual([]);
      const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE 'plugin_dingtalk_legacy_%'`);
      expect(Number(row.n)).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('3.7 (our tables from 0001–0003, with rows): 0009 only adds the column; rows and names stay', async () => {
    const t = await openTestDatabase({ migrate: false });
    try {
      const before = PLUGIN_MIGRATIONS.filter((m) => !m.name.startsWith('LegacyBindings'));
      const early = createPluginDataSource({ hostOptions: t.hostOptions });
      // Exactly the migrations a 3.7 install had applied.
      const earlySource = new DataSource({ ...early.options, migrations: before } as never);
      await earlySource.initialize();
      try {
        await runMigrations(earlySource);
      } finally {
        await earlySource.destroy();
      }
      const binding = await new TriggerBindingRepository(t.db).upsert({ integrationId: 'int-37', xpertId: 'xpert-37', config: { sessionTimeoutSeconds: 600 } });
      const session = await new ConversationBindingRepository(t.db).start('int-37:cid:staff', { integrationId: 'int-37', conversationId: 'cid', senderId: 'staff', xpertId: 'xpert-37' });
      const logger = recordingLogger();
      expect(await runMigrations(t.dataSource, logger)).toEqual(PLUGIN_MIGRATIONS.filter((m) => !before.includes(m)).map((m) => m.name));
      expect(logger.lines.filter((line) => line.includes('0.0.9'))).toEqual([]);
      expect(await new TriggerBindingRepository(t.db).findByIntegration('int-37')).toEqual(binding);
      expect(await new ConversationBindingRepository(t.db).get('int-37:cid:staff')).toEqual(session);
    } finally {
      await t.close();
    }
  });
});

// PGlite serves one session; two replicas racing for the lock exist only on the server.
(usingServer ? describe : describe.skip)('two replicas booting at once on an 0.0.9 database', () => {
  it('one moves and copies, the other waits and finds nothing to do; every row exactly once', async () => {
    const server = await createServerDatabase(databaseUrl as string);
    const sources: DataSource[] = [];
    try {
      const seed = newSeed();
      const setup = new DataSource({ type: 'postgres', url: server.url });
      await setup.initialize();
      await seedLegacy((sql, params) => setup.query(sql, params), seed);
      await setup.destroy();

      for (let i = 0; i < 2; i += 1) {
        const source = createPluginDataSource({ hostOptions: { type: 'postgres', url: server.url } });
        await source.initialize();
        sources.push(source);
      }
      const loggers = [recordingLogger(), recordingLogger()];
      const results = await Promise.all(sources.map((source, i) => runMigrations(source, loggers[i])));
      expect(results.map((names) => names.length).sort()).toEqual([0, PLUGIN_MIGRATIONS.length]);
      const lines = loggers.flatMap((l) => l.lines);
      expect(lines.filter((line) => line.includes('kept its tables aside'))).toHaveLength(1);
      expect(lines.filter((line) => line.includes('copied of'))).toHaveLength(1);
      const [counts] = await sources[0].query(
        `SELECT (SELECT count(*)::int FROM plugin_dingtalk_trigger_binding) AS triggers, (SELECT count(*)::int FROM plugin_dingtalk_conversation_binding) AS sessions`,
      );
      expect(counts).toEqual({ triggers: 1, sessions: 2 });
      expect(await legacyRows(sources[0])).toMatchObject({ triggers: 1, conversations: 4 });
    } finally {
      for (const source of sources) await source.destroy().catch(() => undefined);
      await server.drop();
    }
  });
});
