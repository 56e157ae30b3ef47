import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { loadTypeormPglite } from '../../sandbox/host/pglite-loader';
import { createPluginDataSource, Database, runMigrations, TABLES } from '../../src/persistence';

/**
 * Where integration tests get a database. Without DATABASE_URL: PGlite in memory, shared the way the
 * plugin shares a PGlite host (one embedded session). With DATABASE_URL: a fresh, uniquely named
 * database on that server, dropped again by close(), so tests never see each other's rows.
 *
 * Concurrency tests need the server (PGlite serves one connection):
 *   (usingServer ? it : it.skip)('…', …)
 */
export const databaseUrl: string | undefined = process.env.DATABASE_URL?.trim() || undefined;
export const usingServer: boolean = databaseUrl !== undefined;

export interface TestDatabase {
  /** The plugin's DataSource (initialized). */
  dataSource: DataSource;
  db: Database;
  /** Options of the stand-in host DataSource: build further plugin DataSources from them. */
  hostOptions: DataSourceOptions;
  close(): Promise<void>;
}

export interface OpenTestDatabaseOptions {
  /** Run the plugin migrations before returning (default true). */
  migrate?: boolean;
}

export async function openTestDatabase(options: OpenTestDatabaseOptions = {}): Promise<TestDatabase> {
  return databaseUrl ? openOnServer(databaseUrl, options) : openOnPglite(options);
}

export { loadTypeormPglite };

async function openOnPglite(options: OpenTestDatabaseOptions): Promise<TestDatabase> {
  // The stand-in host: it owns the embedded instance, like a host configured for PGlite would.
  const host = new DataSource({ type: 'postgres', driver: new (loadTypeormPglite().PGliteDriver)().driver });
  await host.initialize();
  try {
    const opened = await openPlugin(host.options, options);
    return {
      ...opened,
      hostOptions: host.options,
      close: async () => {
        await opened.db.close();
        // Closes the one global PGlite instance; the next openTestDatabase() starts a fresh one.
        await host.destroy();
      },
    };
  } catch (error) {
    await host.destroy();
    throw error;
  }
}

/** A fresh, uniquely named database on the server at `url`; `drop()` removes it again. */
export async function createServerDatabase(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `dingtalk_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(url, (admin) => admin.query(`CREATE DATABASE ${name}`));
  const target = new URL(url);
  target.pathname = `/${name}`;
  const drop = async () => {
    await withAdmin(url, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  };
  return { url: target.toString(), drop };
}

async function openOnServer(url: string, options: OpenTestDatabaseOptions): Promise<TestDatabase> {
  const created = await createServerDatabase(url);
  const hostOptions: DataSourceOptions = { type: 'postgres', url: created.url };
  const drop = created.drop;
  try {
    const opened = await openPlugin(hostOptions, options);
    return {
      ...opened,
      hostOptions,
      close: async () => {
        try {
          await opened.db.close();
        } finally {
          // WITH (FORCE) terminates whatever connection a failed test left behind.
          await drop();
        }
      },
    };
  } catch (error) {
    await drop();
    throw error;
  }
}

async function openPlugin(hostOptions: DataSourceOptions, options: OpenTestDatabaseOptions) {
  const dataSource = createPluginDataSource({ hostOptions });
  await dataSource.initialize();
  try {
    if (options.migrate !== false) await runMigrations(dataSource);
    const db = await Database.open(dataSource);
    return { dataSource, db };
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}

async function withAdmin<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A promise with its resolve exposed, for proving orderings without sleeping. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/** Empties every plugin table (cheaper than a new database between tests of one file). */
export async function resetTables(db: Database): Promise<void> {
  await db.query(`TRUNCATE ${Object.values(TABLES).join(', ')} RESTART IDENTITY`);
}

/**
 * The usual lifecycle of a database-backed test file: one database for the file, emptied before each
 * test, closed after all. `onOpen` receives it once it is ready.
 */
export function useFreshTables(onOpen: (database: TestDatabase) => void): void {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await openTestDatabase();
    onOpen(database);
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    if (database) await resetTables(database.db);
  });
}
