import { Pool as PgPool } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { DingTalkError } from '../kernel/errors';
import { PLUGIN_ENTITIES } from './entities';
import { silentLogger, type PersistenceLogger } from '../kernel/logger';
import { PLUGIN_MIGRATIONS } from './migrations';
import { SLOW_QUERY_MS, TypeOrmLoggerAdapter } from './typeorm-logger';

export const PLUGIN_DATA_SOURCE_NAME = 'plugin-dingtalk';
export const PLUGIN_MIGRATIONS_TABLE = 'plugin_dingtalk_migrations';
/** Shows up in pg_stat_activity so an operator can tell the plugin's connections from the host's. */
export const PLUGIN_APPLICATION_NAME = 'xpert-plugin-dingtalk';
/** Our own pool, separate from the host's: intake, worker and replies together rarely need more. */
export const DEFAULT_POOL_SIZE = 10;

export interface CreatePluginDataSourceInput {
  /** The host DataSource's `options`; its connection settings are copied, nothing else. */
  hostOptions?: DataSourceOptions;
  /** The plugin's `database` setting (postgres:// URL). Wins over the host's settings. */
  databaseUrl?: string;
  /**
   * Force serial access (one statement or transaction at a time). Detected automatically for a host
   * that runs on PGlite; set it for any other single-session driver.
   */
  serial?: boolean;
  poolSize?: number;
  logger?: PersistenceLogger;
}

// Decided at creation, read by Database.open(); a WeakMap keeps DataSourceOptions free of our flags.
const serialDataSources = new WeakMap<DataSource, boolean>();

/**
 * Builds the plugin's own TypeORM DataSource (not initialized). The 3.7 host neither creates plugin
 * tables nor runs plugin migrations, so the plugin connects with the host's settings and runs its own
 * migrations (see migrator.ts). Never `synchronize`: it would fight the host's schema.
 */
export function createPluginDataSource(input: CreatePluginDataSourceInput = {}): DataSource {
  const logger = input.logger ?? silentLogger;
  const { options, serial } = resolveConnection(input);
  const dataSource = new DataSource({
    ...options,
    name: PLUGIN_DATA_SOURCE_NAME,
    entities: PLUGIN_ENTITIES,
    migrations: PLUGIN_MIGRATIONS,
    migrationsTableName: PLUGIN_MIGRATIONS_TABLE,
    synchronize: false,
    migrationsRun: false,
    dropSchema: false,
    // gen_random_uuid() is core since PostgreSQL 13; the plugin never installs extensions in the host's database.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    maxQueryExecutionTime: SLOW_QUERY_MS,
    logger: new TypeOrmLoggerAdapter(logger),
  });
  serialDataSources.set(dataSource, serial);
  logger.debug(`plugin database: ${serial ? 'embedded single session (serial access)' : 'connection pool'}`);
  return dataSource;
}

/** Whether work on this DataSource must be serialised (see Database). */
export function isSerialDataSource(dataSource: DataSource): boolean {
  return serialDataSources.get(dataSource) ?? usesForeignDriver(dataSource.options);
}

type ResolvedConnection = { options: PostgresConnectionOptions; serial: boolean };
// TypeORM declares its options read-only; we assemble ours step by step before handing them over.
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function resolveConnection(input: CreatePluginDataSourceInput): ResolvedConnection {
  const max = input.poolSize ?? DEFAULT_POOL_SIZE;
  const url = input.databaseUrl?.trim();
  if (url) {
    if (!/^postgres(ql)?:\/\//i.test(url)) {
      throw unsupported('the plugin `database` setting must be a postgres:// or postgresql:// URL');
    }
    return {
      options: { type: 'postgres', url, applicationName: PLUGIN_APPLICATION_NAME, extra: { max } },
      serial: input.serial ?? false,
    };
  }

  const host = input.hostOptions;
  if (!host) {
    throw new DingTalkError(
      'dingtalk_database_missing',
      'The DingTalk plugin found no host database settings. Set the plugin `database` setting to a postgres:// URL.',
      500,
    );
  }
  if (host.type !== 'postgres') {
    throw unsupported(`the host database is "${String(host.type)}"; the plugin needs PostgreSQL`);
  }

  const serial = input.serial ?? usesForeignDriver(host);
  // With replication, plugin writes (all of them) must go to the primary.
  const credentials = host.replication?.master ?? host;
  const options: Mutable<PostgresConnectionOptions> = {
    type: 'postgres',
    url: credentials.url,
    host: credentials.host,
    port: credentials.port,
    username: credentials.username,
    password: credentials.password,
    database: credentials.database,
    ssl: credentials.ssl,
    connectTimeoutMS: host.connectTimeoutMS,
    applicationName: PLUGIN_APPLICATION_NAME,
  };
  if (serial) {
    // An embedded single-session database (PGlite): share the host's instance, never close it.
    if (host.driver) options.driver = sharedDriver(host.driver);
    return { options, serial };
  }

  const extra: Record<string, unknown> = { ...(host.extra ?? {}), max };
  if (host.driver) options.driver = host.driver;
  if (host.nativeDriver) options.nativeDriver = host.nativeDriver;
  if (host.schema) {
    // Unqualified table names in our SQL must resolve to the schema TypeORM puts the migrations table in.
    options.schema = checkedSchema(host.schema);
    extra.options ??= `-c search_path=${options.schema}`;
  }
  options.extra = extra;
  return { options, serial };
}

/**
 * A `driver` whose Pool is not pg's is an embedded engine such as typeorm-pglite: one process-global
 * session. Concurrent transactions through it would interleave, so access must be serialised.
 */
function usesForeignDriver(options: DataSourceOptions): boolean {
  if (options.type !== 'postgres' || !options.driver) return false;
  const driver = options.driver as { Pool?: unknown };
  return driver.Pool !== PgPool;
}

type PoolClass = new (...args: any[]) => { end(callback?: (error?: unknown) => void): unknown };

/**
 * typeorm-pglite's pool closes the one global PGlite instance in `end()`. Destroying the plugin's
 * DataSource must not take the host's database down with it, so our copy of the driver keeps the
 * pool but makes `end()` a no-op: the host owns the instance's lifetime.
 */
function sharedDriver(driver: unknown): unknown {
  const HostPool = (driver as { Pool?: PoolClass }).Pool;
  if (typeof HostPool !== 'function') return driver;
  class SharedPool extends HostPool {
    override end(callback?: (error?: unknown) => void): void {
      callback?.(null);
    }
  }
  return { Pool: SharedPool };
}

function checkedSchema(schema: string): string {
  if (!/^[a-z_][a-z0-9_$]*$/.test(schema)) {
    throw unsupported(`the host schema "${schema}" cannot be used as a search path`);
  }
  return schema;
}

function unsupported(reason: string): DingTalkError {
  return new DingTalkError(
    'dingtalk_database_unsupported',
    `The DingTalk plugin cannot use this database: ${reason}. Set the plugin \`database\` setting to a postgres:// URL.`,
    500,
  );
}
