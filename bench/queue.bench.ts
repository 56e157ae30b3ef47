import { parsePluginConfig } from '../src/config/plugin-config';
import { createPluginDataSource, Database, HandoffRepository, insertHandoffJob, runMigrations } from '../src/persistence';
import { drainQueue, type DrainFigures } from './queue-drain';
import { roundTrips, type RoundTripFigures } from './round-trips';

/** Like replicas: each worker has its own pool, all on the one PostgreSQL server. */
const WORKERS = 4;
const JOBS = Number(process.env.BENCH_QUEUE_JOBS || 5_000);
/** Many sessions, so per-session FIFO (P10) never leaves a worker without a claimable job. */
const SESSIONS = Number(process.env.BENCH_QUEUE_SESSIONS || 500);
/** Parallel producers while filling the queue; setup only, not measured. */
const ENQUEUERS = 16;
/** The shape the graphile-worker anchor is run with too. */
export const QUEUE_SHAPE = { workers: WORKERS, jobs: JOBS, sessions: SESSIONS };

export interface QueueFigures {
  workers: number;
  /** Per worker: the plugin's default (`worker.concurrency`). */
  concurrency: number;
  pollIntervalMs: number;
  jobs: number;
  sessions: number;
  drain: DrainFigures;
  baseline: RoundTripFigures;
  /** Empty when every job was completed exactly once. */
  failures: string[];
}

/**
 * Queue throughput of the real HandoffWorker: N jobs over many sessions with a no-op handler, drained
 * by four workers on four pools; the baseline is the same four pools doing `SELECT 1` at the same
 * total concurrency. Their ratio says how many plain round trips one job costs.
 */
export async function queueBench(databaseUrl: string, baselineSeconds: number): Promise<QueueFigures> {
  // The defaults a user gets; DINGTALK_WORKER_CONCURRENCY still applies, as it would in production.
  const config = parsePluginConfig({}).worker;
  const pools = await openPools(databaseUrl, WORKERS);
  try {
    await enqueue(pools);
    const baseline = await roundTrips(pools, WORKERS * config.concurrency, baselineSeconds);
    const drain = await drainQueue(pools, config, JOBS);
    const failures = [...drain.failures, ...(await checkRows(pools[0]))];
    return { workers: WORKERS, concurrency: config.concurrency, pollIntervalMs: config.pollIntervalMs, jobs: JOBS, sessions: SESSIONS, drain, baseline, failures };
  } finally {
    await Promise.all(pools.map((db) => db.close()));
  }
}

async function openPools(databaseUrl: string, count: number): Promise<Database[]> {
  const first = createPluginDataSource({ databaseUrl });
  await runMigrations(first);
  const pools = [await Database.open(first)];
  for (let n = 1; n < count; n += 1) pools.push(await Database.open(createPluginDataSource({ databaseUrl })));
  return pools;
}

/** Job i goes to session i mod SESSIONS, through the same insert the intake uses. */
async function enqueue(pools: readonly Database[]): Promise<void> {
  let next = 0;
  const producer = async (db: Database) => {
    for (let i = next++; i < JOBS; i = next++) {
      await insertHandoffJob(db, { kind: 'bench', integrationId: 'bench', sessionKey: `bench-session-${i % SESSIONS}`, payload: { i } });
    }
  };
  await Promise.all(Array.from({ length: ENQUEUERS }, (_, n) => producer(pools[n % pools.length])));
}

/** The queue's own view must agree with the handler's: every row done, nothing left or dead. */
async function checkRows(db: Database): Promise<string[]> {
  const stats = await new HandoffRepository(db).stats();
  const expected = { queued: 0, running: 0, done: JOBS, dead: 0 };
  const same = Object.entries(expected).every(([status, n]) => stats[status as keyof typeof stats] === n);
  return same ? [] : [`queue rows by status ${JSON.stringify(stats)}, expected ${JSON.stringify(expected)}`];
}
