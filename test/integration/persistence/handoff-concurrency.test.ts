import { HandoffRepository, type HandoffJob } from '../../../src/persistence';
import { openTestDatabase, resetTables, usingServer, type TestDatabase } from '../../support/database';

const LEASE = 60_000;
const JOBS = 500;
const WORKERS = 4;

// PGlite serves one connection, so claims cannot race there: these tests need the PostgreSQL server.
const describeOnServer = usingServer ? describe : describe.skip;

describeOnServer('HandoffRepository under concurrent workers (server)', () => {
  let t: TestDatabase;
  let queue: HandoffRepository;

  beforeAll(async () => {
    t = await openTestDatabase();
    queue = new HandoffRepository(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await resetTables(t.db);
  });

  it(`${WORKERS} workers × ${JOBS} jobs: every job is claimed exactly once (P11), each session strictly in order (P10)`, async () => {
    // 8 busy sessions of interleaved jobs plus independent ones, so order and exclusion are both exercised.
    const enqueued: HandoffJob[] = [];
    for (let i = 0; i < JOBS; i += 1) {
      const sessionKey = i % 5 === 0 ? null : `s${i % 8}`;
      enqueued.push(await queue.enqueue(t.db, { kind: 'message', integrationId: 'int-1', sessionKey, payload: { i } }));
    }

    const claims = new Map<string, string[]>(); // job id → owners that claimed it
    const runningSessions = new Set<string>();
    const sessionOrder = new Map<string, number[]>();
    const violations: string[] = [];
    let finished = 0;

    async function worker(owner: string): Promise<void> {
      while (finished < JOBS) {
        const batch = await queue.claim({ owner, limit: 5, leaseMs: LEASE });
        if (batch.length === 0) {
          await new Promise((resolve) => setTimeout(resolve, 2));
          continue;
        }
        for (const job of batch) {
          claims.set(job.id, [...(claims.get(job.id) ?? []), owner]);
          if (job.sessionKey) {
            if (runningSessions.has(job.sessionKey)) violations.push(`${job.sessionKey} ran twice at once`);
            runningSessions.add(job.sessionKey);
            sessionOrder.set(job.sessionKey, [...(sessionOrder.get(job.sessionKey) ?? []), job.seq]);
          }
        }
        // Let the other workers interleave while these jobs are "running".
        await new Promise((resolve) => setImmediate(resolve));
        for (const job of batch) {
          // Forget the session before completing: the next job of it becomes claimable only after
          // complete() commits, so any overlap seen above is a real double run.
          if (job.sessionKey) runningSessions.delete(job.sessionKey);
          if (!(await queue.complete(job.id, owner))) violations.push(`${job.id} lost by ${owner}`);
          finished += 1;
        }
      }
    }

    await Promise.all(Array.from({ length: WORKERS }, (_, n) => worker(`worker-${n}`)));

    expect(violations).toEqual([]);
    expect(claims.size).toBe(JOBS);
    expect([...claims.values()].filter((owners) => owners.length !== 1)).toEqual([]);
    expect(await queue.stats()).toEqual({ queued: 0, running: 0, done: JOBS, dead: 0 });
    for (const [session, seqs] of sessionOrder) {
      const expected = enqueued.filter((j) => j.sessionKey === session).map((j) => j.seq);
      expect({ session, seqs }).toEqual({ session, seqs: expected });
    }
    // All workers took part: the pool really ran them concurrently.
    const owners = new Set([...claims.values()].flat());
    expect(owners.size).toBe(WORKERS);
  });

  it('concurrent claimers: session A yields one job at a time, in order, while session B runs alongside', async () => {
    const enqueue = (sessionKey: string) => queue.enqueue(t.db, { kind: 'message', integrationId: 'i', sessionKey, payload: {} });
    const a1 = await enqueue('A');
    const a2 = await enqueue('A');
    const a3 = await enqueue('A');
    const b1 = await enqueue('B');
    const claimAll = async (limit: number) =>
      (await Promise.all(['w1', 'w2', 'w3'].map((owner) => queue.claim({ owner, limit, leaseMs: LEASE })))).flat();

    const first = await claimAll(1);
    expect(first.map((j) => j.id).sort()).toEqual([a1.id, b1.id].sort());

    let running = first.find((j) => j.id === a1.id)!;
    for (const next of [a2, a3]) {
      // Nothing more of A is claimable while one A job runs, however many workers ask.
      expect(await claimAll(5)).toEqual([]);
      expect(await queue.complete(running.id, running.leaseOwner!)).toBe(true);
      const claimed = await claimAll(5);
      expect(claimed.map((j) => j.id)).toEqual([next.id]);
      running = claimed[0];
    }
  });
});
