import { Logger, makeWorkerUtils, run, type Runner, type Task } from 'graphile-worker';

export interface AnchorFigures {
  name: string;
  workers: number;
  concurrency: number;
  jobs: number;
  sessions: number;
  seconds: number;
  completedPerSecond: number;
  completed: number;
  failures: string[];
}

const DRAIN_TIMEOUT_MS = Number(process.env.BENCH_QUEUE_TIMEOUT_SECONDS || 60) * 1000;
/** Parallel producers while filling the queue; setup only, not measured (as for our queue). */
const ENQUEUERS = 16;

/**
 * The anchor: graphile-worker on the same PostgreSQL server, with the same shape of work as our
 * queue bench: `jobs` no-op jobs over `sessions` named queues (graphile-worker's per-key serial mode,
 * the analog of our per-session FIFO), `workers` runners with their own pool, each with the same
 * concurrency. Timed from starting the runners to the last completion; the handler counts calls and
 * checks that each queue's jobs ran in enqueue order, so a fast but wrong anchor would show up.
 */
export async function graphileAnchor(databaseUrl: string, workers: number, concurrency: number, jobs: number, sessions: number): Promise<AnchorFigures> {
  const logger = new Logger(() => () => undefined);
  const utils = await makeWorkerUtils({ connectionString: databaseUrl, logger });
  const calls = new Map<number, number>();
  const lastBySession = new Map<number, number>();
  let outOfOrder = 0;
  let completed = 0;
  let allDone!: () => void;
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const task: Task = async (payload) => {
    const { i } = payload as { i: number };
    calls.set(i, (calls.get(i) ?? 0) + 1);
    const session = i % sessions;
    if ((lastBySession.get(session) ?? -1) > i) outOfOrder += 1;
    lastBySession.set(session, i);
  };
  const runners: Runner[] = [];
  try {
    await utils.migrate();
    let next = 0;
    const producer = async () => {
      for (let i = next++; i < jobs; i = next++) await utils.addJob('bench', { i }, { queueName: `bench-session-${i % sessions}`, maxAttempts: 1 });
    };
    await Promise.all(Array.from({ length: ENQUEUERS }, producer));

    const started = performance.now();
    for (let n = 0; n < workers; n += 1) {
      const runner = await run({ connectionString: databaseUrl, concurrency, noHandleSignals: true, pollInterval: 1000, taskList: { bench: task }, logger });
      runner.events.on('job:success', () => {
        if (++completed === jobs) allDone();
      });
      runners.push(runner);
    }
    const inTime = await Promise.race([finished.then(() => true), sleep(DRAIN_TIMEOUT_MS).then(() => false)]);
    const seconds = (performance.now() - started) / 1000;
    const completedInTime = completed;
    const failures: string[] = [];
    if (!inTime) failures.push(`graphile-worker completed only ${completedInTime} of ${jobs} jobs within ${DRAIN_TIMEOUT_MS / 1000} s`);
    const twice = [...calls.values()].filter((n) => n > 1).length;
    if (twice > 0) failures.push(`graphile-worker ran ${twice} job(s) more than once`);
    if (outOfOrder > 0) failures.push(`graphile-worker ran ${outOfOrder} job(s) out of their queue's order`);
    return {
      name: 'graphile-worker 0.16.6',
      workers,
      concurrency,
      jobs,
      sessions,
      seconds,
      completedPerSecond: Math.round(completedInTime / seconds),
      completed: completedInTime,
      failures,
    };
  } finally {
    await Promise.all(runners.map((runner) => runner.stop()));
    await utils.release();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
