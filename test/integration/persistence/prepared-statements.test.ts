import { createPluginDataSource, Database } from '../../../src/persistence';
import { createServerDatabase, databaseUrl, usingServer } from '../../support/database';

const describeOnServer = usingServer ? describe : describe.skip;

describeOnServer('Database.queryPrepared on a PostgreSQL server', () => {
  let server: { url: string; drop: () => Promise<void> };
  let db: Database;
  const warnings: string[] = [];

  beforeAll(async () => {
    server = await createServerDatabase(databaseUrl!);
    // One pooled connection, so the test can make that connection forget its prepared statements.
    const logger = { debug: () => undefined, log: () => undefined, warn: (message: string) => void warnings.push(message), error: () => undefined };
    db = await Database.open(createPluginDataSource({ databaseUrl: server.url, poolSize: 1 }), { logger });
  });
  afterAll(async () => {
    await db?.close();
    await server?.drop();
  });

  it('runs a named statement and answers like query()', async () => {
    const rows = await db.queryPrepared<{ n: number }>('dingtalk_test_add', 'SELECT $1::int + 1 AS n', [41]);
    expect(rows).toEqual([{ n: 42 }]);
    const names = await db.query<{ name: string }>('SELECT name FROM pg_prepared_statements');
    expect(names.map((row) => row.name)).toContain('dingtalk_test_add');
  });

  it('falls back to plain statements when the connection lost them (a pooler in transaction mode)', async () => {
    await db.query('DEALLOCATE ALL');
    // The driver still believes the statement is prepared and sends only its name: PostgreSQL refuses.
    const rows = await db.queryPrepared<{ n: number }>('dingtalk_test_add', 'SELECT $1::int + 1 AS n', [1]);
    expect(rows).toEqual([{ n: 2 }]);
    expect(warnings.some((w) => w.includes('prepared statements'))).toBe(true);
    // From then on nothing is prepared any more.
    await db.queryPrepared('dingtalk_test_other', 'SELECT 1 AS one', []);
    const names = await db.query<{ name: string }>('SELECT name FROM pg_prepared_statements');
    expect(names).toEqual([]);
  });
});
