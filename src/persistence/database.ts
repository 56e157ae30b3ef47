import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, QueryRunner } from 'typeorm';
import { DingTalkError } from '../kernel/errors';
import { isSerialDataSource } from './data-source.factory';
import { FifoMutex } from './fifo-mutex';
import { guardPoolConnections } from './pool-guard';
import { silentLogger, type PersistenceLogger } from '../kernel/logger';
import { isErrorLike } from './sql-values';
import type { DatabaseAvailability } from './database-availability';

/** Anything that runs one parameterised statement: the Database itself, or a transaction's `q`. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /**
   * Optional: the same statement as a named prepared statement, parsed and planned once per pooled
   * connection. For the queue's hot statements; callers fall back to query() when it is absent.
   */
  queryPrepared?<T = Record<string, unknown>>(name: string, sql: string, params: readonly unknown[]): Promise<T[]>;
}

export interface OpenDatabaseOptions {
  /** One statement or transaction at a time; defaults to what the DataSource factory detected. */
  serial?: boolean;
  logger?: PersistenceLogger;
  /** Told of every statement's outcome, so the intake knows when the database last came back. */
  availability?: DatabaseAvailability;
}

/**
 * The plugin's handle on its tables: parameterised queries and transactions, nothing more (the SQL
 * lives in the repositories).
 *
 * Pool mode (a PostgreSQL server): every query and transaction takes its own pooled connection, so
 * work runs truly concurrently and row locks (SKIP LOCKED, unique inserts) do the arbitration.
 *
 * Serial mode (PGlite): the engine is one process-global session shared by every DataSource, so a
 * BEGIN from one caller would swallow another caller's statements into its transaction. A FIFO mutex
 * therefore admits one query or one whole transaction at a time.
 *
 * Inside `tx(fn)`, use only the `q` argument. Calling `db.query` / `db.tx` from inside the callback
 * would wait forever in serial mode (the mutex is held by the transaction) and would silently run
 * outside the transaction in pool mode, so it is rejected in both modes with
 * `dingtalk_database_nested_call` — the mistake shows up in every test run, not only on PGlite.
 */
export class Database implements Queryable {
  private readonly mutex = new FifoMutex();
  private readonly insideTx = new AsyncLocalStorage<Database>();
  private readonly inflight = new Set<Promise<unknown>>();
  private closed = false;
  /** Set once prepared statements turned out not to survive between statements (a pooler). */
  private unprepared = false;

  private constructor(
    readonly dataSource: DataSource,
    readonly serial: boolean,
    private readonly logger: PersistenceLogger,
    private readonly availability?: DatabaseAvailability,
  ) {}

  /** Initializes the DataSource if needed. Run migrations (runMigrations) before opening. */
  static async open(dataSource: DataSource, options: OpenDatabaseOptions = {}): Promise<Database> {
    if (!dataSource.isInitialized) await dataSource.initialize();
    const logger = options.logger ?? silentLogger;
    guardPoolConnections(dataSource, logger);
    return new Database(dataSource, options.serial ?? isSerialDataSource(dataSource), logger, options.availability);
  }

  async query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    this.assertUsable('query');
    return this.track(this.exclusive(() => this.withRunner((runner) => runQuery<T>(runner, sql, params))));
  }

  /**
   * A named prepared statement on a pooled pg connection (each connection prepares it on first use).
   * Serial mode (PGlite) has no pg client underneath and runs it as a plain query.
   */
  async queryPrepared<T = Record<string, unknown>>(name: string, sql: string, params: readonly unknown[]): Promise<T[]> {
    if (this.serial || this.unprepared) return this.query<T>(sql, params);
    this.assertUsable('query');
    try {
      return await this.track(
        this.withRunner(async (runner) => {
          const client = (await runner.connect()) as { query?: (config: unknown) => Promise<{ rows: T[] }> };
          if (typeof client?.query !== 'function') return runQuery<T>(runner, sql, params);
          const result = await client.query({ name, text: sql, values: params.map(toParam) });
          return result.rows;
        }),
      );
    } catch (error) {
      // A pooler in front of PostgreSQL that moves sessions between server connections (PgBouncer in
      // transaction mode) loses named statements. The statement did not run, so running it plainly
      // is safe; this handle stops preparing from then on.
      if (!isLostPreparedStatement(error)) throw error;
      this.unprepared = true;
      this.logger.warn('plugin database: prepared statements are not kept by this connection pooler; using plain statements');
      return this.query<T>(sql, params);
    }
  }

  /**
   * Runs `fn` in one transaction on one connection: BEGIN, fn, COMMIT; ROLLBACK and rethrow when fn
   * or the COMMIT fails. Resolves only after the COMMIT succeeded (intake acks on that, P7).
   */
  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    this.assertUsable('tx');
    return this.track(this.exclusive(() => this.withRunner((runner) => this.transaction(runner, fn))));
  }

  /** Waits for running work, then closes the DataSource. Later calls fail with a coded error. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inflight]);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private async transaction<T>(runner: QueryRunner, fn: (q: Queryable) => Promise<T>): Promise<T> {
    let open = true;
    const q: Queryable = {
      query: <R>(sql: string, params?: readonly unknown[]) => {
        // A statement issued after the transaction ended (a forgotten await) would run outside it.
        if (!open) return Promise.reject(nestedCall('a transaction that has already ended'));
        return runQuery<R>(runner, sql, params);
      },
    };
    await runner.query('BEGIN');
    try {
      const result = await this.insideTx.run(this, () => fn(q));
      await runner.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await runner.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection is likely broken; the pool drops it. The original error is what matters.
        this.logger.warn(`plugin database rollback failed: ${messageOf(rollbackError)}`);
      }
      throw error;
    } finally {
      open = false;
    }
  }

  private async withRunner<T>(work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await work(runner);
    } finally {
      await runner.release();
    }
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.serial ? this.mutex.run(work) : work();
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inflight.add(promise);
    const availability = this.availability;
    promise.then(
      () => {
        this.inflight.delete(promise);
        availability?.noteSuccess();
      },
      (error: unknown) => {
        this.inflight.delete(promise);
        availability?.noteFailure(error);
      },
    );
    return promise;
  }

  private assertUsable(what: string): void {
    if (this.closed) {
      throw new DingTalkError('dingtalk_database_closed', `The DingTalk plugin database is closed; ${what} refused.`, 503);
    }
    if (this.insideTx.getStore() === this) {
      throw nestedCall(`db.${what} inside db.tx; use the transaction's q argument instead`);
    }
  }
}

async function runQuery<T>(runner: QueryRunner, sql: string, params?: readonly unknown[]): Promise<T[]> {
  // The structured result gives `records` for every statement kind; the plain one turns UPDATE and
  // DELETE results into [rows, count] on pg but not on PGlite.
  const result = await runner.query(sql, params ? params.map(toParam) : undefined, true);
  return Array.isArray(result.records) ? (result.records as T[]) : [];
}

/**
 * Dates go over as ISO-8601 text (our SQL casts them with ::timestamptz). pg would send local time
 * with an offset, which is equivalent; PGlite only accepts Dates of its own realm, which a Date made
 * in a test sandbox is not. Text is exact and engine-neutral.
 */
function toParam(value: unknown): unknown {
  return Object.prototype.toString.call(value) === '[object Date]' ? (value as Date).toISOString() : value;
}

/** 26000: the named statement is unknown on this connection; 42P05: it exists with other text. */
function isLostPreparedStatement(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '26000' || code === '42P05';
}

function nestedCall(detail: string): DingTalkError {
  return new DingTalkError('dingtalk_database_nested_call', `Plugin database misuse: ${detail}.`, 500);
}

function messageOf(error: unknown): string {
  return isErrorLike(error) ? error.message : String(error);
}
