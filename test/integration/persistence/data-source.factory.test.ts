import { Pool } from 'pg';
import type { DataSourceOptions } from 'typeorm';
import {
  createPluginDataSource,
  DEFAULT_POOL_SIZE,
  isSerialDataSource,
  PLUGIN_DATA_SOURCE_NAME,
  PLUGIN_ENTITIES,
  PLUGIN_MIGRATIONS,
  PLUGIN_MIGRATIONS_TABLE,
} from '../../../src/persistence';

// Pure option resolution: nothing here connects to a database.
describe('createPluginDataSource', () => {
  const host: DataSourceOptions = {
    type: 'postgres',
    host: 'db.internal',
    port: 5433,
    username: 'xpert',
    password: 'secret',
    database: 'xpert',
    ssl: { rejectUnauthorized: false },
    extra: { max: 50, idleTimeoutMillis: 1000 },
    synchronize: true,
    entities: ['host/**/*.entity.js'],
    migrations: ['host/migrations/*.js'],
    migrationsRun: true,
    name: 'default',
  };

  it("copies the host's connection settings and nothing else", () => {
    const ds = createPluginDataSource({ hostOptions: host });
    const o = ds.options as any;
    expect(o).toMatchObject({
      type: 'postgres',
      host: 'db.internal',
      port: 5433,
      username: 'xpert',
      password: 'secret',
      database: 'xpert',
      ssl: { rejectUnauthorized: false },
      name: PLUGIN_DATA_SOURCE_NAME,
      synchronize: false,
      migrationsRun: false,
      migrationsTableName: PLUGIN_MIGRATIONS_TABLE,
    });
    expect(o.entities).toEqual(PLUGIN_ENTITIES);
    expect(o.migrations).toEqual(PLUGIN_MIGRATIONS);
    expect(o.extra).toEqual({ max: DEFAULT_POOL_SIZE, idleTimeoutMillis: 1000 });
    expect(isSerialDataSource(ds)).toBe(false);
  });

  it('an explicit database URL wins over the host', () => {
    const url = 'postgresql://plugin@elsewhere:5432/dingtalk';
    const o = createPluginDataSource({ hostOptions: host, databaseUrl: ` ${url} `, poolSize: 4 }).options as any;
    expect(o.url).toBe(url);
    expect(o.host).toBeUndefined();
    expect(o.extra).toEqual({ max: 4 });
  });

  it('connects to the primary of a replicated host, and pins the search path to the host schema', () => {
    const o = createPluginDataSource({
      hostOptions: { type: 'postgres', schema: 'xpert', replication: { master: { host: 'primary', database: 'p' }, slaves: [{ host: 'replica' }] } },
    }).options as any;
    expect(o).toMatchObject({ host: 'primary', database: 'p', schema: 'xpert' });
    expect(o.replication).toBeUndefined();
    expect(o.extra.options).toBe('-c search_path=xpert');
  });

  it.each([
    [{ hostOptions: { type: 'mysql' } as DataSourceOptions }, 'dingtalk_database_unsupported'],
    [{ hostOptions: { type: 'sqlite', database: ':memory:' } as DataSourceOptions }, 'dingtalk_database_unsupported'],
    [{ databaseUrl: 'mysql://x@y/z' }, 'dingtalk_database_unsupported'],
    [{ hostOptions: { type: 'postgres', schema: 'Bad Schema' } as DataSourceOptions }, 'dingtalk_database_unsupported'],
    [{}, 'dingtalk_database_missing'],
  ])('refuses %j with a coded error that names the `database` setting', (input, code) => {
    let error: any;
    try {
      createPluginDataSource(input);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code });
    expect(error.message).toContain('`database`');
  });

  it('detects a single-session driver (PGlite) and keeps the host instance open on destroy', () => {
    const ended: string[] = [];
    class EmbeddedPool {
      end(callback: (error: unknown) => void) {
        ended.push('host pool closed');
        callback(null);
      }
    }
    const ds = createPluginDataSource({ hostOptions: { type: 'postgres', driver: { Pool: EmbeddedPool } } });
    expect(isSerialDataSource(ds)).toBe(true);
    const SharedPool = (ds.options as any).driver.Pool;
    expect(SharedPool).not.toBe(EmbeddedPool);
    const pool = new SharedPool();
    expect(pool).toBeInstanceOf(EmbeddedPool);
    const done = jest.fn();
    pool.end(done);
    expect(done).toHaveBeenCalledWith(null);
    expect(ended).toEqual([]);
  });

  it("pg's own driver is pooled; the serial flag can be forced", () => {
    expect(isSerialDataSource(createPluginDataSource({ hostOptions: { type: 'postgres', driver: { Pool } } }))).toBe(false);
    expect(isSerialDataSource(createPluginDataSource({ databaseUrl: 'postgres://x@y/z', serial: true }))).toBe(true);
  });
});
