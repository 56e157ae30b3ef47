import type { JobHandler } from '../../../src/handoff/job-handler.port';
import { HandoffRepository } from '../../../src/persistence';
import { deferred, type TestDatabase, useFreshTables } from '../../support/database';
import { gatedHandler, makeWorker, newJob, outcomeRecorder, row } from './worker-fixtures';

describe('HandoffWorker: graceful shutdown (P14)', () => {
  let t: TestDatabase;
  let queue: HandoffRepository;

  useFreshTables((database) => {
    t = database;
    queue = new HandoffRepository(t.db);
  });

  it('lets a job finish within the grace period, aborts and releases one that does not', async () => {
    const gated = gatedHandler();
    const outcomes = outcomeRecorder();
    // The grace period ends when the test says so, not after some wall-clock time.
    const graceOver = deferred();
    const graceAsked: number[] = [];
    const worker = makeWorker(t.db, {
      handlers: [gated.handler],
      owner: 'leaving',
      shutdownGraceMs: 1234,
      sleep: (ms) => (graceAsked.push(ms), graceOver.promise),
      onJobSettled: outcomes.onJobSettled,
    });
    const quick = await queue.enqueue(t.db, newJob({ sessionKey: 's1', payload: { name: 'quick' } }));
    const slow = await queue.enqueue(t.db, newJob({ sessionKey: 's2', payload: { name: 'slow' } }));
    expect((await row(t.db, slow.id)).attempts).toBe(0);

    expect(await worker.runOnce()).toBe(2);
    const [, slowContext] = await Promise.all([gated.started(quick.id), gated.started(slow.id)]);
    expect((await row(t.db, slow.id)).attempts).toBe(1);

    const quickDone = outcomes.next(quick.id);
    const slowDone = outcomes.next(slow.id);
    const stopping = worker.stop();
    expect(worker.stats.state).toBe('stopping');
    // No new claims once stopping, even if asked.
    await queue.enqueue(t.db, newJob({ payload: { name: 'late' } }));
    expect(await worker.runOnce()).toBe(0);

    gated.release(quick.id);
    expect(await quickDone).toBe('completed');
    expect(slowContext.signal.aborted).toBe(false);

    graceOver.resolve();
    await stopping;
    expect(graceAsked).toEqual([1234]);
    expect(slowContext.signal.aborted).toBe(true);
    expect((slowContext.signal.reason as { code?: string }).code).toBe('dingtalk_worker_shutdown');
    expect(await slowDone).toBe('released');

    expect(await row(t.db, quick.id)).toMatchObject({ status: 'done', attempts: 1 });
    // Back in the queue for another replica, and the interrupted run cost no attempt.
    expect(await row(t.db, slow.id)).toMatchObject({ status: 'queued', attempts: 0, lease_owner: null, last_error: null });
    expect(worker.stats).toMatchObject({ state: 'stopped', completed: 1, released: 1, inFlight: 0 });

    // Idempotent, and a stopped worker stays stopped.
    await worker.stop();
    worker.start();
    expect(worker.stats.state).toBe('stopped');
    expect(await worker.runOnce()).toBe(0);
  });

  it('returns as soon as the running jobs are done, without waiting out the grace period', async () => {
    const gated = gatedHandler();
    const worker = makeWorker(t.db, {
      handlers: [gated.handler],
      // A grace period that never ends: stop() can only return because the job finished.
      sleep: () => new Promise<void>(() => undefined),
    });
    const job = await queue.enqueue(t.db, newJob());
    worker.start();
    await gated.started(job.id);
    const stopping = worker.stop();
    gated.release(job.id);
    await stopping;
    expect(await row(t.db, job.id)).toMatchObject({ status: 'done' });
  });

  it('stops a worker that never started, and one whose loop is idle', async () => {
    const handler: JobHandler = { kind: 'message', handle: async () => undefined };
    const never = makeWorker(t.db, { handlers: [handler] });
    await never.stop();
    expect(never.stats.state).toBe('stopped');

    const idle = deferred();
    const looping = makeWorker(t.db, { handlers: [handler], onIdle: () => idle.resolve() });
    looping.start();
    await idle.promise;
    await looping.stop();
    expect(looping.stats.state).toBe('stopped');
  });
});
