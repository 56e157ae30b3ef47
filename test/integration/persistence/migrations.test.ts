import { Client } from 'pg';
import { DataSource } from 'typeorm';
import {
  appliedMigrations,
  createPluginDataSource,
  MIGRATION_LOCK_KEY,
  PLUGIN_MIGRATIONS,
  runMigrations,
  TABLES,
  type PersistenceLogger,
} from '../../../src/persistence';
import { deferred, openTestDatabase, usingServer, type TestDatabase } from '../../support/database';

async function tableNames(dataSource: DataSource): Promise<string[]> {
  const rows: Array<{ table_name: string }> = await dataSource.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'plugin_dingtalk_%' ORDER BY table_name`,
  );
  return rows.map((row) => row.table_name);
}

describe('plugin migrations', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await openTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('create all six tables on a fresh database, then change nothing on a second run', async () => {
    expect(await tableNames(t.dataSource)).toEqual([]);

    const first = await runMigrations(t.dataSource);
    expect(first).toEqual(PLUGIN_MIGRATIONS.map((migration) => migration.name));
    const tables = await tableNames(t.dataSource);
    for (const table of Object.values(TABLES)) expect(tables).toContain(table);
    expect(tables).toContain('plugin_dingtalk_migrations');

    const second = await runMigrations(t.dataSource);
    expect(second).toEqual([]);
    expect(await appliedMigrations(t.dataSource)).toHaveLength(PLUGIN_MIGRATIONS.length);
  });

  it('ids default to gen_random_uuid (no extension needed)', async () => {
    const rows = await t.db.query<{ id: string }>(
      `INSERT INTO plugin_dingtalk_inbox (integration_id, event_id, kind) VALUES ('i', 'e', 'message') RETURNING id`,
    );
    expect(rows[0].id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('releases the advisory lock when done, and the key is a fixed bigint', async () => {
    expect(MIGRATION_LOCK_KEY).toMatch(/^-?\d+$/);
    expect(BigInt(MIGRATION_LOCK_KEY)).toBe(BigInt.asIntN(64, BigInt(MIGRATION_LOCK_KEY)));
    await runMigrations(t.dataSource);
    const rows: Array<{ n: number }> = await t.dataSource.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`);
    expect(Number(rows[0].n)).toBe(0);
  });

  // PGlite serves one connection, so another session holding the lock only exists on the server.
  (usingServer ? it : it.skip)('waits while another replica holds the migration lock', async () => {
    const other = new Client({ connectionString: (t.hostOptions as { url: string }).url });
    await other.connect();
    const messages: string[] = [];
    const waiting = deferred();
    const note = (m: string) => {
      messages.push(m);
      if (/another replica is migrating/.test(m)) waiting.resolve();
    };
    const logger: PersistenceLogger = { debug: () => undefined, log: note, warn: note, error: note };
    try {
      await other.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
      let finished = false;
      const run = runMigrations(t.dataSource, logger).then(() => (finished = true));
      // It says it waits, and (the lock still held) it has not finished.
      await waiting.promise;
      expect(finished).toBe(false);
      await other.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
      await run;
      expect(finished).toBe(true);
    } finally {
      await other.end();
    }
  });

  // PGlite serves one connection, so two replicas racing only means something on the server.
  (usingServer ? it : it.skip)('two replicas migrating at once both succeed, and only one applies', async () => {
    const fresh = await openTestDatabase({ migrate: false });
    const a = createPluginDataSource({ hostOptions: fresh.hostOptions });
    const b = createPluginDataSource({ hostOptions: fresh.hostOptions });
    try {
      await Promise.all([a.initialize(), b.initialize()]);
      const [ranA, ranB] = await Promise.all([runMigrations(a), runMigrations(b)]);
      expect([...ranA, ...ranB]).toEqual(PLUGIN_MIGRATIONS.map((migration) => migration.name));
      expect(await appliedMigrations(a)).toHaveLength(PLUGIN_MIGRATIONS.length);
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
      await fresh.close();
    }
  });
});
