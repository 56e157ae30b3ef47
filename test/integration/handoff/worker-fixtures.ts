import { HandoffWorker } from '../../../src/handoff/handoff.worker';
import type { JobOutcome } from '../../../src/handoff/job-execution';
import type { JobContext, JobHandler } from '../../../src/handoff/job-handler.port';
import type { HandoffWorkerOptions } from '../../../src/handoff/worker-options';
import { TABLES, type HandoffJob, type NewHandoffJob, type Queryable } from '../../../src/persistence';
import { deferred } from '../../support/database';

/** Long enough that no heartbeat or reclaim fires on its own during a test: tests drive them. */
export const LONG_LEASE = 600_000;

export function newJob(overrides: Partial<NewHandoffJob> = {}): NewHandoffJob {
  return { kind: 'message', integrationId: 'int-1', sessionKey: null, payload: { text: 'secret body' }, ...overrides };
}

/** A handler whose runs the test controls: each run waits for release(id) (or aborts). */
export function gatedHandler(kind = 'message') {
  const started = new Map<string, ReturnType<typeof deferred<JobContext>>>();
  const gates = new Map<string, ReturnType<typeof deferred<void>>>();
  const events: string[] = [];
  const slot = <T>(map: Map<string, T>, id: string, make: () => T): T => {
    if (!map.has(id)) map.set(id, make());
    return map.get(id)!;
  };
  const handler: JobHandler = {
    kind,
    async handle(job: HandoffJob, context: JobContext) {
      const name = String((job.payload as { name?: string }).name ?? job.id);
      events.push(`start ${name}`);
      slot(started, job.id, () => deferred<JobContext>()).resolve(context);
      const gate = slot(gates, job.id, () => deferred<void>());
      await new Promise<void>((resolve, reject) => {
        gate.promise.then(resolve, reject);
        context.signal.addEventListener('abort', () => reject(context.signal.reason), { once: true });
      });
      events.push(`end ${name}`);
    },
  };
  return {
    handler,
    events,
    /** Resolves with the run's context once the handler started on the job. */
    started: (id: string) => slot(started, id, () => deferred<JobContext>()).promise,
    release: (id: string) => slot(gates, id, () => deferred<void>()).resolve(),
  };
}

/** Collects outcomes reported through onJobSettled; `next(id)` awaits the next one of a job. */
export function outcomeRecorder() {
  const seen: Array<{ id: string; outcome: JobOutcome }> = [];
  const waiters = new Map<string, Array<(outcome: JobOutcome) => void>>();
  return {
    seen,
    onJobSettled(job: HandoffJob, outcome: JobOutcome) {
      seen.push({ id: job.id, outcome });
      const queue = waiters.get(job.id);
      queue?.shift()?.(outcome);
    },
    next(id: string): Promise<JobOutcome> {
      return new Promise((resolve) => waiters.set(id, [...(waiters.get(id) ?? []), resolve]));
    },
  };
}

export function makeWorker(db: Queryable, overrides: Partial<HandoffWorkerOptions> & Pick<HandoffWorkerOptions, 'handlers'>): HandoffWorker {
  return new HandoffWorker({
    db,
    concurrency: 4,
    pollIntervalMs: 10,
    leaseMs: LONG_LEASE,
    retry: { baseMs: 60_000, maxMs: 600_000 },
    shutdownGraceMs: 5_000,
    random: () => 0.5,
    ...overrides,
  });
}

export async function row(db: Queryable, id: string) {
  const rows = await db.query<{ status: string; attempts: number; lease_owner: string | null; last_error: string | null }>(
    `SELECT status, attempts::int AS attempts, lease_owner, last_error FROM ${TABLES.handoff} WHERE id = $1`,
    [id],
  );
  return { ...rows[0], attempts: Number(rows[0].attempts) };
}

/** Makes a job due now: time travel in SQL instead of sleeping through a backoff. */
export async function makeDue(db: Queryable, id: string): Promise<void> {
  await db.query(`UPDATE ${TABLES.handoff} SET run_at = now() - interval '1 second' WHERE id = $1`, [id]);
}

/** Back-dates a running job's lease, as if its worker died a while ago. */
export async function expireLease(db: Queryable, id: string): Promise<void> {
  await db.query(`UPDATE ${TABLES.handoff} SET lease_until = now() - interval '1 minute' WHERE id = $1`, [id]);
}

export function recordingLogger() {
  const lines: Array<{ level: string; message: string }> = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  return { lines, logger: { debug: at('debug'), log: at('log'), warn: at('warn'), error: at('error') } };
}
