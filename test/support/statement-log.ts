import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database, Queryable } from '../../src/persistence';

/** What a statement log watches: the plugin's Database, and the host connection the plugin reads integrations through. */
export interface StatementSources {
  db: Database;
  host?: { query(sql: string, params?: unknown[]): Promise<unknown> };
}

/**
 * Counts the SQL statements the plugin sends, by patching the methods of the live instances (the
 * repositories call `db.query` on the instance each time, so every later statement passes through
 * here). A transaction counts as its BEGIN, each statement on its `q`, and its COMMIT or ROLLBACK:
 * that is what goes over the wire. Statements are labelled by their first characters, whitespace
 * collapsed, so the breakdown groups one statement text however it was formatted.
 */
export class StatementLog {
  private readonly labels: string[] = [];
  private recording = false;
  private pending = 0;
  private started = 0;
  private readonly restore: (() => void)[] = [];
  /** Set while a prepared statement runs: on PGlite, or after a pooler lost it, it runs as db.query, which must not count twice. */
  private readonly insidePrepared = new AsyncLocalStorage<true>();

  private constructor(private readonly width: number) {}

  static attach(sources: StatementSources, width = 60): StatementLog {
    const log = new StatementLog(width);
    log.patchDatabase(sources.db);
    if (sources.host) log.patchHost(sources.host);
    return log;
  }

  /** Starts counting afresh. */
  start(): void {
    this.labels.length = 0;
    this.recording = true;
  }

  /** Stops counting; returns the statements seen since start(). */
  stop(): readonly string[] {
    this.recording = false;
    return [...this.labels];
  }

  /** Statements begun so far (recorded or not), for telling when the plugin has gone quiet. */
  get begun(): number {
    return this.started;
  }

  /** Statements sent and not yet answered. */
  get inFlight(): number {
    return this.pending;
  }

  detach(): void {
    while (this.restore.length > 0) this.restore.pop()!();
  }

  private patchDatabase(db: Database): void {
    const query = db.query;
    const queryPrepared = db.queryPrepared;
    const tx = db.tx;
    db.query = ((sql: string, params?: readonly unknown[]) =>
      this.insidePrepared.getStore() ? query.call(db, sql, params) : this.track(sql, () => query.call(db, sql, params))) as Database['query'];
    db.queryPrepared = ((name: string, sql: string, params: readonly unknown[]) =>
      this.track(sql, () => this.insidePrepared.run(true, () => queryPrepared.call(db, name, sql, params)))) as Database['queryPrepared'];
    db.tx = (async <T>(fn: (q: Queryable) => Promise<T>): Promise<T> => {
      // Counted as the transaction begins, as the Database sends BEGIN on a connection of its own.
      this.note('BEGIN');
      try {
        const result = await tx.call<Database, [(q: Queryable) => Promise<T>], Promise<T>>(db, (q) => fn(this.wrapQ(q)));
        this.note('COMMIT');
        return result;
      } catch (error) {
        this.note('ROLLBACK');
        throw error;
      }
    }) as Database['tx'];
    this.restore.push(() => {
      db.query = query;
      db.queryPrepared = queryPrepared;
      db.tx = tx;
    });
  }

  private patchHost(host: NonNullable<StatementSources['host']>): void {
    const query = host.query;
    host.query = (sql: string, params?: unknown[]) => this.track(`host: ${sql}`, () => query.call(host, sql, params));
    this.restore.push(() => {
      host.query = query;
    });
  }

  private wrapQ(q: Queryable): Queryable {
    return { query: (sql, params) => this.track(sql, () => q.query(sql, params)) };
  }

  private note(sql: string): void {
    this.started += 1;
    if (this.recording) this.labels.push(labelOf(sql, this.width));
  }

  private async track<T>(sql: string, run: () => Promise<T>): Promise<T> {
    this.note(sql);
    this.pending += 1;
    try {
      return await run();
    } finally {
      this.pending -= 1;
    }
  }
}

/** The queue's statements all open with the same clock CTE; the label starts after it, where they differ. */
const CLOCK_CTE = /^WITH clock AS \(SELECT COALESCE\(\$\d+::timestamptz, now\(\)\) AS now\),\s*/;

export function labelOf(sql: string, width = 60): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  const label = CLOCK_CTE.test(flat) ? `WITH clock, ${flat.replace(CLOCK_CTE, '')}` : flat;
  return label.slice(0, width);
}

/** Label → how often, most frequent first; a printable table. */
export function breakdown(labels: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  const rows = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return [...rows.map(([label, count]) => `${String(count).padStart(3)}  ${label}`), `${String(labels.length).padStart(3)}  total`].join('\n');
}

/**
 * Resolves once no statement has begun or been in flight for `turns` consecutive turns of the event
 * loop: the plugin has finished what a message set off. A turn is a zero-delay timer, so every
 * zero-delay timer the plugin set before it (the worker's next tick) has run first; no wall-clock wait.
 */
export async function quiet(log: StatementLog, turns = 10): Promise<void> {
  let calm = 0;
  let seen = log.begun;
  while (calm < turns) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (log.inFlight === 0 && log.begun === seen) calm += 1;
    else {
      calm = 0;
      seen = log.begun;
    }
  }
}
