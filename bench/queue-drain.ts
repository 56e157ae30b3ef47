import type { PluginConfig } from '../src/config/plugin-config';
import { HandoffWorker } from '../src/handoff/handoff.worker';
import type { JobOutcome } from '../src/handoff/job-execution';
import type { JobHandler } from '../src/handoff/job-handler.port';
import { DEFAULT_RETRY } from '../src/handoff/worker-options';
import type { Database } from '../src/persistence';

/**
 * A drain that takes this long has gone wrong (a stuck job, retries, a slow claim): report what was
 * done by then and fail, rather than hang the whole bench run.
 */
const DRAIN_TIMEOUT_MS = Number(process.env.BENCH_QUEUE_TIMEOUT_SECONDS || 60) * 1000;

export interface DrainFigures {
  seconds: number;
  /** Claims and completions per second up to the last completion (or the timeout). */
  claimedPerSecond: number;
  completedPerSecond: number;
  completed: number;
  /** Jobs each worker claimed: shows whether they really shared the queue. */
  claimedByWorker: number[];
  handlerCalls: number;
  failures: string[];
}

/**
 * Starts one HandoffWorker per pool, configured exactly as the plugin's WorkerService does
 * (createWorkerFrom), plus an onJobSettled hook so the clock stops at the last completion rather
 * than at the next sample of a polling loop. Times from start() to the N-th completion.
 */
export async function drainQueue(pools: readonly Database[], config: PluginConfig['worker'], jobs: number): Promise<DrainFigures> {
  const calls = new Map<string, number>();
  const outcomes = new Map<JobOutcome, number>();
  let completed = 0;
  let allDone!: () => void;
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  // No-op: what is left is the queue's own cost (claim, lease, complete).
  const handler: JobHandler = {
    kind: 'bench',
    handle: async (job) => void calls.set(job.id, (calls.get(job.id) ?? 0) + 1),
  };
  const onJobSettled = (_job: unknown, outcome: JobOutcome) => {
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    if (outcome === 'completed' && ++completed === jobs) allDone();
  };
  const { concurrency, pollIntervalMs, leaseMs, shutdownGraceMs } = config;
  const workers = pools.map(
    (db) => new HandoffWorker({ db, handlers: [handler], concurrency, pollIntervalMs, leaseMs, shutdownGraceMs, retry: DEFAULT_RETRY, onJobSettled }),
  );

  const started = performance.now();
  for (const worker of workers) worker.start();
  const inTime = await Promise.race([finished.then(() => true), sleep(DRAIN_TIMEOUT_MS).then(() => false)]);
  const seconds = (performance.now() - started) / 1000;
  // Rates count what was done in `seconds`; stop() may still finish a few in-flight jobs.
  const completedInTime = completed;
  const claimedInTime = workers.reduce((sum, worker) => sum + worker.stats.claimed, 0);
  await Promise.all(workers.map((worker) => worker.stop()));

  const claimedByWorker = workers.map((worker) => worker.stats.claimed);
  const claimed = claimedByWorker.reduce((a, b) => a + b, 0);
  const handlerCalls = [...calls.values()].reduce((a, b) => a + b, 0);
  const failures: string[] = [];
  if (!inTime) failures.push(`only ${completedInTime} of ${jobs} jobs completed within ${DRAIN_TIMEOUT_MS / 1000} s (BENCH_QUEUE_TIMEOUT_SECONDS)`);
  const tickErrors = workers.reduce((sum, worker) => sum + worker.stats.tickErrors, 0);
  if (tickErrors > 0) failures.push(`${tickErrors} worker tick(s) failed on a database error`);
  // Checked against the completions, so a timed-out drain still proves nothing ran twice.
  if (handlerCalls !== completed) failures.push(`handler called ${handlerCalls} times for ${completed} completions`);
  if (calls.size !== completed) failures.push(`handler saw ${calls.size} distinct jobs for ${completed} completions`);
  const twice = [...calls.values()].filter((n) => n > 1).length;
  if (twice > 0) failures.push(`${twice} job(s) ran more than once`);
  if (claimed !== completed) failures.push(`workers claimed ${claimed} times for ${completed} completions`);
  const other = [...outcomes].filter(([outcome]) => outcome !== 'completed');
  if (other.length > 0) failures.push(`outcomes other than completed: ${JSON.stringify(Object.fromEntries(other))}`);
  return {
    seconds,
    claimedPerSecond: Math.round(claimedInTime / seconds),
    completedPerSecond: Math.round(completedInTime / seconds),
    completed: completedInTime,
    claimedByWorker,
    handlerCalls,
    failures,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
