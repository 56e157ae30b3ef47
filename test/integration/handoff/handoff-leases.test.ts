import type { JobContext, JobHandler } from '../../../src/handoff/job-handler.port';
import { HandoffRepository, TABLES } from '../../../src/persistence';
import { deferred, type TestDatabase, useFreshTables } from '../../support/database';
import { expireLease, gatedHandler, makeWorker, newJob, outcomeRecorder, row } from './worker-fixtures';

describe('HandoffWorker: leases and crash recovery', () => {
  let t: TestDatabase;
  let queue: HandoffRepository;

  useFreshTables((database) => {
    t = database;
    queue = new HandoffRepository(t.db);
  });

  it('re-runs a job whose worker died once its (back-dated) lease expired (P12)', async () => {
    const job = await queue.enqueue(t.db, newJob({ sessionKey: 's1' }));
    // The "dead" worker claims and then never comes back.
    expect(await queue.claim({ owner: 'crashed-worker', limit: 1, leaseMs: 60_000 })).toHaveLength(1);

    const outcomes = outcomeRecorder();
    const handler: JobHandler = { kind: 'message', handle: async () => undefined };
    const early = makeWorker(t.db, { handlers: [handler], owner: 'early' });
    // The lease is still valid: nobody may take the job yet.
    expect(await early.runOnce()).toBe(0);
    await early.stop();

    await expireLease(t.db, job.id);
    const rescuer = makeWorker(t.db, { handlers: [handler], owner: 'rescuer', onJobSettled: outcomes.onJobSettled });
    const settled = outcomes.next(job.id);
    expect(await rescuer.runOnce()).toBe(1);
    expect(await settled).toBe('completed');
    expect(await row(t.db, job.id)).toMatchObject({ status: 'done', attempts: 2, lease_owner: 'rescuer' });
    expect(rescuer.stats.reclaimed).toBe(1);
    await rescuer.stop();
  });

  it('heartbeat pushes the lease of a running job forward', async () => {
    const gated = gatedHandler();
    const worker = makeWorker(t.db, { handlers: [gated.handler], owner: 'beater' });
    const job = await queue.enqueue(t.db, newJob());
    await worker.runOnce();
    await gated.started(job.id);
    await t.db.query(`UPDATE ${TABLES.handoff} SET lease_until = now() + interval '1 second' WHERE id = $1`, [job.id]);

    await worker.extendLeases();
    const [lease] = await t.db.query<{ far: boolean }>(`SELECT lease_until > now() + interval '1 minute' AS far FROM ${TABLES.handoff} WHERE id = $1`, [job.id]);
    expect(lease.far).toBe(true);
    gated.release(job.id);
    await worker.stop();
    expect(await row(t.db, job.id)).toMatchObject({ status: 'done' });
  });

  it('aborts a run whose lease was reclaimed by another replica, and never completes it', async () => {
    const first = gatedHandler();
    const second = gatedHandler();
    const outcomesA = outcomeRecorder();
    const a = makeWorker(t.db, { handlers: [first.handler], owner: 'replica-a', onJobSettled: outcomesA.onJobSettled });
    const b = makeWorker(t.db, { handlers: [second.handler], owner: 'replica-b' });
    const job = await queue.enqueue(t.db, newJob());

    expect(await a.runOnce()).toBe(1);
    const contextA = await first.started(job.id);
    // A stalls long enough for its lease to run out; another replica's sweep takes the job back.
    await expireLease(t.db, job.id);
    expect(await queue.reclaimExpired()).toBe(1);
    expect(await b.runOnce()).toBe(1);
    await second.started(job.id);

    const lostA = outcomesA.next(job.id);
    await a.extendLeases();
    expect(contextA.signal.aborted).toBe(true);
    expect((contextA.signal.reason as { code?: string }).code).toBe('dingtalk_job_lease_lost');
    expect(await lostA).toBe('lost');
    // B still owns it; A recorded nothing.
    expect(await row(t.db, job.id)).toMatchObject({ status: 'running', lease_owner: 'replica-b', attempts: 2 });

    second.release(job.id);
    await b.stop();
    await a.stop();
    expect(await row(t.db, job.id)).toMatchObject({ status: 'done', attempts: 2 });
    expect(first.events).toEqual([`start ${job.id}`]);
  });

  it('does not let a stale run complete a job its own owner claimed again', async () => {
    // Each invocation waits for its own gate; on abort it *resolves*, as a careless handler might.
    const contexts: JobContext[] = [];
    const gates = [deferred(), deferred()];
    const startedTwice = deferred();
    const handler: JobHandler = {
      kind: 'message',
      async handle(_job, context) {
        const n = contexts.push(context) - 1;
        if (n === 1) startedTwice.resolve();
        await Promise.race([gates[n].promise, new Promise((resolve) => context.signal.addEventListener('abort', resolve, { once: true }))]);
      },
    };
    const outcomes = outcomeRecorder();
    const worker = makeWorker(t.db, { handlers: [handler], owner: 'same', onJobSettled: outcomes.onJobSettled });
    const job = await queue.enqueue(t.db, newJob());
    expect(await worker.runOnce()).toBe(1);

    await expireLease(t.db, job.id);
    const staleOutcome = outcomes.next(job.id);
    // A sweep takes the job back and the same owner claims it again, while run 1 is still going.
    expect(await queue.reclaimExpired()).toBe(1);
    expect(await worker.runOnce()).toBe(1);
    await startedTwice.promise;
    expect(contexts[0].signal.aborted).toBe(true);
    expect(await staleOutcome).toBe('lost');
    expect(await row(t.db, job.id)).toMatchObject({ status: 'running', attempts: 2 });

    const fresh = outcomes.next(job.id);
    gates[1].resolve();
    expect(await fresh).toBe('completed');
    await worker.stop();
  });
});
