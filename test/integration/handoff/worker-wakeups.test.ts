import { PermanentJobError, type JobHandler } from '../../../src/handoff/job-handler.port';
import { HandoffRepository, type Queryable } from '../../../src/persistence';
import { deferred, type TestDatabase, useFreshTables } from '../../support/database';
import { gatedHandler, makeWorker, newJob, outcomeRecorder, row } from './worker-fixtures';

// With an hour-long poll, only the worker's own wake-ups can start a job: these prove it still looks
// again whenever work may be waiting, and sends no claim when nothing can be.

const HOUR = 3_600_000;

/** The database, counting the queue's claims of new work (completions that claim a successor are not counted). */
function countingClaims(db: Queryable & Required<Pick<Queryable, 'queryPrepared'>>) {
  const counter = { claims: 0 };
  const note = (sql: string) => {
    if (/candidates AS \(/.test(sql)) counter.claims += 1;
  };
  const wrapped: Queryable = {
    query: (sql, params) => {
      note(sql);
      return db.query(sql, params);
    },
    queryPrepared: (name, sql, params) => {
      note(sql);
      return db.queryPrepared(name, sql, params);
    },
  };
  return { db: wrapped, counter };
}

describe('HandoffWorker: looking for work again', () => {
  let t: TestDatabase;
  let queue: HandoffRepository;

  useFreshTables((database) => {
    t = database;
    queue = new HandoffRepository(t.db);
  });

  it('a slot that frees up takes the job waiting for it at once', async () => {
    const gated = gatedHandler();
    const outcomes = outcomeRecorder();
    const first = await queue.enqueue(t.db, newJob({ sessionKey: 'session-a' }));
    const second = await queue.enqueue(t.db, newJob({ sessionKey: 'session-b' }));
    const worker = makeWorker(t.db, { handlers: [gated.handler], concurrency: 1, pollIntervalMs: HOUR, onJobSettled: outcomes.onJobSettled });
    worker.start();
    await gated.started(first.id);
    gated.release(first.id);
    await gated.started(second.id);
    gated.release(second.id);
    expect(await outcomes.next(second.id)).toBe('completed');
    await worker.stop();
  });

  it("a dead-lettered job lets its session's next job run at once", async () => {
    const outcomes = outcomeRecorder();
    const ran: string[] = [];
    const handler: JobHandler = {
      kind: 'message',
      async handle(job) {
        const name = String((job.payload as { name: string }).name);
        ran.push(name);
        if (name === 'broken') throw new PermanentJobError('dingtalk_payload_invalid', 'cannot be done');
      },
    };
    const broken = await queue.enqueue(t.db, newJob({ sessionKey: 'session-a', payload: { name: 'broken' } }));
    const next = await queue.enqueue(t.db, newJob({ sessionKey: 'session-a', payload: { name: 'next' } }));
    const worker = makeWorker(t.db, { handlers: [handler], concurrency: 2, pollIntervalMs: HOUR, onJobSettled: outcomes.onJobSettled });
    const settled = outcomes.next(next.id);
    worker.start();
    expect(await settled).toBe('completed');
    expect(ran).toEqual(['broken', 'next']);
    expect(await row(t.db, broken.id)).toMatchObject({ status: 'dead' });
    await worker.stop();
  });

  it('a wake-up while every slot is busy is not lost: the job starts when a slot frees up', async () => {
    const gated = gatedHandler();
    const outcomes = outcomeRecorder();
    const worker = makeWorker(t.db, { handlers: [gated.handler], concurrency: 1, pollIntervalMs: HOUR, onJobSettled: outcomes.onJobSettled });
    const first = await queue.enqueue(t.db, newJob({ sessionKey: 'session-a' }));
    worker.start();
    await gated.started(first.id);
    const late = await queue.enqueue(t.db, newJob({ sessionKey: 'session-b' }));
    worker.notify();
    gated.release(first.id);
    await gated.started(late.id);
    gated.release(late.id);
    expect(await outcomes.next(late.id)).toBe('completed');
    await worker.stop();
  });

  it('once the only job is done, with nothing else waiting, no further claim is sent', async () => {
    const { db, counter } = countingClaims(t.db);
    const outcomes = outcomeRecorder();
    const handler: JobHandler = { kind: 'message', handle: async () => undefined };
    const idle = deferred();
    const worker = makeWorker(db, { handlers: [handler], concurrency: 4, pollIntervalMs: HOUR, onIdle: () => idle.resolve(), onJobSettled: outcomes.onJobSettled });
    worker.start();
    await idle.promise;
    const job = await queue.enqueue(t.db, newJob({ sessionKey: 'session-a' }));
    const settled = outcomes.next(job.id);
    const before = counter.claims;
    worker.notify();
    expect(await settled).toBe('completed');
    // Zero-delay timers the worker may have set (its next tick) run before these.
    for (let turn = 0; turn < 10; turn += 1) await new Promise((next) => setTimeout(next, 0));
    // One claim took the job; its completion looked for the session's next job in the same statement.
    expect(counter.claims - before).toBe(1);
    await worker.stop();
  });
});
