import type { HandoffWorker } from '../../../src/handoff/handoff.worker';
import type { JobHandler } from '../../../src/handoff/job-handler.port';
import { createPluginDataSource, Database, HandoffRepository, type HandoffJob } from '../../../src/persistence';
import { deferred, openTestDatabase, resetTables, usingServer, type TestDatabase } from '../../support/database';
import { makeWorker, newJob } from './worker-fixtures';

const WORKERS = 4;
const JOBS = 500;

// PGlite serves one connection, so workers cannot race there: this needs the PostgreSQL server.
const describeOnServer = usingServer ? describe : describe.skip;

describeOnServer('HandoffWorker: several replicas on one queue (server)', () => {
  let t: TestDatabase;
  let queue: HandoffRepository;
  const replicas: Database[] = [];

  beforeAll(async () => {
    t = await openTestDatabase();
    queue = new HandoffRepository(t.db);
    // One connection pool per worker, like separate replicas.
    for (let n = 0; n < WORKERS; n += 1) {
      const dataSource = createPluginDataSource({ hostOptions: t.hostOptions });
      replicas.push(await Database.open(dataSource));
    }
  });
  afterAll(async () => {
    await Promise.all(replicas.map((db) => db.close()));
    await t?.close();
  });
  beforeEach(async () => {
    await resetTables(t.db);
  });

  it(`${WORKERS} workers × ${JOBS} jobs: every job runs exactly once (P11), each session in order and alone (P10)`, async () => {
    const enqueued: HandoffJob[] = [];
    for (let i = 0; i < JOBS; i += 1) {
      const sessionKey = i % 5 === 0 ? null : `s${i % 8}`;
      enqueued.push(await queue.enqueue(t.db, newJob({ sessionKey, payload: { i } })));
    }

    const runs = new Map<string, string[]>(); // job id → owners whose handler ran it
    const runningSessions = new Set<string>();
    const sessionOrder = new Map<string, number[]>();
    const violations: string[] = [];
    const allDone = deferred();
    let completed = 0;

    const handler: JobHandler = {
      kind: 'message',
      async handle(job, { owner }) {
        runs.set(job.id, [...(runs.get(job.id) ?? []), owner]);
        const session = job.sessionKey;
        if (session) {
          if (runningSessions.has(session)) violations.push(`${session} ran two jobs at once`);
          runningSessions.add(session);
          sessionOrder.set(session, [...(sessionOrder.get(session) ?? []), job.seq]);
        }
        // Yield so the other workers interleave while this job "runs".
        await new Promise((resolve) => setImmediate(resolve));
        if (session) runningSessions.delete(session);
      },
    };

    const workers: HandoffWorker[] = replicas.map((db, n) =>
      makeWorker(db, {
        handlers: [handler],
        owner: `replica-${n}`,
        concurrency: 4,
        pollIntervalMs: 5,
        onJobSettled: (_job, outcome) => {
          if (outcome !== 'completed') violations.push(`unexpected outcome ${outcome}`);
          completed += 1;
          if (completed === JOBS) allDone.resolve();
        },
      }),
    );
    for (const worker of workers) worker.start();
    await allDone.promise;
    await Promise.all(workers.map((worker) => worker.stop()));

    expect(violations).toEqual([]);
    expect(runs.size).toBe(JOBS);
    expect([...runs.values()].filter((owners) => owners.length !== 1)).toEqual([]);
    expect(await queue.stats()).toEqual({ queued: 0, running: 0, done: JOBS, dead: 0 });
    for (const [session, seqs] of sessionOrder) {
      const expected = enqueued.filter((job) => job.sessionKey === session).map((job) => job.seq);
      expect({ session, seqs }).toEqual({ session, seqs: expected });
    }
    // Every replica took part: they really competed for the same rows.
    expect(new Set([...runs.values()].flat()).size).toBe(WORKERS);
    expect(workers.map((worker) => worker.stats.claimed).reduce((a, b) => a + b, 0)).toBe(JOBS);
  });
});
