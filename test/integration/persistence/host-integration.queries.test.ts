import type { DataSource } from 'typeorm';
import { HostIntegrationRecords } from '../../../src/host/host-integration-records';
import { selectHostIntegration, selectHostIntegrationsByProvider } from '../../../src/persistence/host-integration.queries';
import { openTestDatabase, type TestDatabase } from '../../support/database';

/** The reads of the host's `integration` table (a TypeORM entity of the host: camelCase columns). */
describe('host integration reads', () => {
  let t: TestDatabase;
  const ids = { a: '00000000-0000-4000-8000-00000000000a', b: '00000000-0000-4000-8000-00000000000b', c: '00000000-0000-4000-8000-00000000000c' };

  beforeAll(async () => {
    t = await openTestDatabase({ migrate: false });
    await t.db.query('DROP TABLE IF EXISTS integration');
    await t.db.query(`CREATE TABLE integration (
      id uuid PRIMARY KEY, "tenantId" uuid NULL, "organizationId" uuid NULL, name varchar NULL,
      provider varchar NOT NULL, options json NULL)`);
    await t.db.query(
      `INSERT INTO integration (id, "tenantId", name, provider, options) VALUES
         ($1, $4, 'bot A', 'dingtalk', '{"clientId":"ka"}'),
         ($2, NULL, 'bot B', 'dingtalk_long', 'null'),
         ($3, NULL, 'other', 'lark', '{}')`,
      [ids.a, ids.b, ids.c, '00000000-0000-4000-8000-0000000000ff'],
    );
  });
  afterAll(async () => {
    await t?.db.query('DROP TABLE IF EXISTS integration').catch(() => undefined);
    await t?.close();
  });

  it('reads one record by id, with its options as an object, and null for an unknown id', async () => {
    expect(await selectHostIntegration(t.db, ids.a)).toEqual({
      id: ids.a,
      tenantId: '00000000-0000-4000-8000-0000000000ff',
      organizationId: null,
      name: 'bot A',
      provider: 'dingtalk',
      options: { clientId: 'ka' },
    });
    expect(await selectHostIntegration(t.db, '00000000-0000-4000-8000-000000000099')).toBeNull();
  });

  it('lists by provider; missing options read as an empty object', async () => {
    expect((await selectHostIntegrationsByProvider(t.db, 'dingtalk')).map((r) => r.id)).toEqual([ids.a]);
    expect(await selectHostIntegrationsByProvider(t.db, 'dingtalk_long')).toEqual([expect.objectContaining({ id: ids.b, options: {} })]);
  });

  it('the host adapter refuses a non-uuid id without asking the database, and names a missing DataSource', async () => {
    const queries: string[] = [];
    const host = { query: (sql: string, params: unknown[]) => (queries.push(sql), t.db.query(sql, params)) } as unknown as DataSource;
    const records = new HostIntegrationRecords(host);
    expect(await records.get('not-a-uuid')).toBeNull();
    expect(queries).toEqual([]);
    expect(await records.get(ids.a)).toMatchObject({ id: ids.a, provider: 'dingtalk' });
    await expect(new HostIntegrationRecords().get(ids.a)).rejects.toMatchObject({ code: 'dingtalk_host_database_missing' });
  });
});
