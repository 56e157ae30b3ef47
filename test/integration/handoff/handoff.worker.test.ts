import { PermanentJobError, type JobHandler } from '../../../src/handoff/job-handler.port';
import { HandoffRepository, TABLES, type Queryable } from '../../../src/persistence';
import { deferred, type TestDatabase, useFreshTables } from '../../support/database';
import { gatedHandler, makeDue, makeWorker, newJob, outcomeRecorder, recordingLogger, row } from './worker-fixtures';

describe('HandoffWorker: running jobs', () => {
  let t: TestDatabase;
  let queue: HandoffRepository;

  useFreshTables((database) => {
    t = database;
    queue = new HandoffRepository(t.db);
  });

  it('completes a job whose handler resolves, passing the owner and a live signal', async () => {
    const seen: string[] = [];
    const handler: JobHandler = {
      kind: 'message',
      async handle(job, { owner, signal }) {
        seen.push(`${job.kind}:${owner}:${signal.aborted}`);
      },
    };
    const outcomes = outcomeRecorder();
    const worker = makeWorker(t.db, { handlers: [handler], owner: 'w-ok', onJobSettled: outcomes.onJobSettled });
    const job = await queue.enqueue(t.db, newJob());
    const settled = outcomes.next(job.id);

    expect(await worker.runOnce()).toBe(1);
    expect(await settled).toBe('completed');
    expect(seen).toEqual(['message:w-ok:false']);
    expect(await row(t.db, job.id)).toMatchObject({ status: 'done', attempts: 1 });
    expect(worker.stats).toMatchObject({ claimed: 1, completed: 1, inFlight: 0 });
    await worker.stop();
  });

  it('retries a failing job with capped, jittered backoff, then dead-letters it with its last error (P13)', async () => {
    let calls = 0;
    const handler: JobHandler = {
      kind: 'message',
      async handle() {
        calls += 1;
        throw new Error(`upstream said no (${calls})`);
      },
    };
    const outcomes = outcomeRecorder();
    // random 0.5 → delay = floor(0.5 × (cap + 1)): proves the jitter is applied, not the bare cap.
    const worker = makeWorker(t.db, { handlers: [handler], retry: { baseMs: 60_000, maxMs: 90_000 }, random: () => 0.5, onJobSettled: outcomes.onJobSettled });
    const job = await queue.enqueue(t.db, newJob({ maxAttempts: 3 }));
    const delays: number[] = [];

    for (const expected of ['retried', 'retried', 'dead'] as const) {
      const settled = outcomes.next(job.id);
      expect(await worker.runOnce()).toBe(1);
      expect(await settled).toBe(expected);
      if (expected === 'retried') {
        const [timing] = await t.db.query<{ delay_ms: number; future: boolean }>(
          `SELECT round(extract(epoch FROM (run_at - updated_at)) * 1000)::int AS delay_ms, run_at > now() AS future
             FROM ${TABLES.handoff} WHERE id = $1`,
          [job.id],
        );
        expect(timing.future).toBe(true);
        delays.push(Number(timing.delay_ms));
        // Not due yet: nothing to claim until we move run_at in SQL.
        expect(await worker.runOnce()).toBe(0);
        await makeDue(t.db, job.id);
      }
    }

    // attempt 1: cap 60 000 → 30 000; attempt 2: cap min(120 000, 90 000) → 45 000.
    expect(delays).toEqual([30_000, 45_000]);
    expect(await row(t.db, job.id)).toMatchObject({ status: 'dead', attempts: 3, last_error: 'Error: upstream said no (3)' });
    const [dead] = await queue.deadLetters();
    expect(dead.id).toBe(job.id);
    expect(dead.lastError).not.toContain('secret body');
    expect(worker.stats).toMatchObject({ retried: 2, dead: 1 });
    await worker.stop();
  });

  it('dead-letters at once on PermanentJobError and on an unknown kind', async () => {
    const handler: JobHandler = {
      kind: 'message',
      async handle() {
        throw new PermanentJobError('dingtalk_payload_invalid', 'payload has no conversation id');
      },
    };
    const outcomes = outcomeRecorder();
    const worker = makeWorker(t.db, { handlers: [handler], onJobSettled: outcomes.onJobSettled });
    const permanent = await queue.enqueue(t.db, newJob({ sessionKey: 's1' }));
    const unknown = await queue.enqueue(t.db, newJob({ kind: 'no_such_kind', sessionKey: 's2' }));
    const settled = Promise.all([outcomes.next(permanent.id), outcomes.next(unknown.id)]);

    expect(await worker.runOnce()).toBe(2);
    expect(await settled).toEqual(['dead', 'dead']);
    expect(await row(t.db, permanent.id)).toMatchObject({ status: 'dead', attempts: 1, last_error: 'dingtalk_payload_invalid: payload has no conversation id' });
    const unknownRow = await row(t.db, unknown.id);
    expect(unknownRow).toMatchObject({ status: 'dead', attempts: 1 });
    expect(unknownRow.last_error).toContain('dingtalk_job_kind_unknown');
    expect(unknownRow.last_error).toContain('no_such_kind');
    await worker.stop();
  });

  it('keeps the last error short and never logs the payload', async () => {
    const handler: JobHandler = {
      kind: 'message',
      async handle() {
        throw new Error(`  ${'x'.repeat(10_000)}  `);
      },
    };
    const { lines, logger } = recordingLogger();
    const outcomes = outcomeRecorder();
    const worker = makeWorker(t.db, { handlers: [handler], logger, onJobSettled: outcomes.onJobSettled });
    const job = await queue.enqueue(t.db, newJob());
    const settled = outcomes.next(job.id);
    await worker.runOnce();
    expect(await settled).toBe('retried');

    const { last_error } = await row(t.db, job.id);
    expect(last_error!.length).toBeLessThanOrEqual(2000);
    expect(last_error!.startsWith('Error: xxx')).toBe(true);
    expect(lines.some((line) => line.level === 'warn' && line.message.includes(job.id))).toBe(true);
    expect(lines.filter((line) => line.message.includes('secret body'))).toEqual([]);
    await worker.stop();
  });

  it('runs one session strictly in order while another session runs alongside (P10)', async () => {
    const gated = gatedHandler();
    const worker = makeWorker(t.db, { handlers: [gated.handler], concurrency: 4 });
    const a1 = await queue.enqueue(t.db, newJob({ sessionKey: 'A', payload: { name: 'A1' } }));
    const a2 = await queue.enqueue(t.db, newJob({ sessionKey: 'A', payload: { name: 'A2' } }));
    const b1 = await queue.enqueue(t.db, newJob({ sessionKey: 'B', payload: { name: 'B1' } }));
    const a3 = await queue.enqueue(t.db, newJob({ sessionKey: 'A', payload: { name: 'A3' } }));
    worker.start();

    // A1 and B1 run at the same time: neither is released until both have started.
    await Promise.all([gated.started(a1.id), gated.started(b1.id)]);
    gated.release(a1.id);
    await gated.started(a2.id);
    gated.release(a2.id);
    await gated.started(a3.id);
    // B1 is still running all along: other sessions do not wait for A.
    expect(gated.events).not.toContain('end B1');
    gated.release(a3.id);
    gated.release(b1.id);
    await worker.stop();

    const a = gated.events.filter((event) => event.endsWith('A1') || event.endsWith('A2') || event.endsWith('A3'));
    expect(a).toEqual(['start A1', 'end A1', 'start A2', 'end A2', 'start A3', 'end A3']);
    expect(gated.events.indexOf('start B1')).toBeLessThan(gated.events.indexOf('end A1'));
    expect(await queue.stats()).toEqual({ queued: 0, running: 0, done: 4, dead: 0 });
  });

  it('survives a database error during a tick and carries on polling', async () => {
    let failuresLeft = 2;
    const flaky: Queryable = {
      query: (sql, params) => {
        if (failuresLeft > 0 && sql.includes('SKIP LOCKED')) {
          failuresLeft -= 1;
          return Promise.reject(new Error('terminating connection due to administrator command'));
        }
        return t.db.query(sql, params);
      },
    };
    const { lines, logger } = recordingLogger();
    const outcomes = outcomeRecorder();
    const handler: JobHandler = { kind: 'message', handle: async () => undefined };
    // random 0: the error backoff adds nothing to the poll interval.
    const worker = makeWorker(flaky, { handlers: [handler], logger, random: () => 0, onJobSettled: outcomes.onJobSettled });
    const job = await queue.enqueue(t.db, newJob());
    const settled = outcomes.next(job.id);

    worker.start();
    expect(await settled).toBe('completed');
    expect(worker.stats.tickErrors).toBe(2);
    expect(lines.filter((line) => line.level === 'warn' && line.message.includes('tick failed'))).toHaveLength(2);
    await worker.stop();
  });

  it('wakes up on notify() instead of waiting for the poll interval', async () => {
    const gated = gatedHandler();
    const idle = deferred();
    // An hour-long poll: once the first tick found the queue empty, only notify() can start the job.
    const worker = makeWorker(t.db, { handlers: [gated.handler], pollIntervalMs: 3_600_000, onIdle: () => idle.resolve() });
    worker.start();
    await idle.promise;
    const job = await queue.enqueue(t.db, newJob());
    worker.notify();
    await gated.started(job.id);
    gated.release(job.id);
    await worker.stop();
    expect(await row(t.db, job.id)).toMatchObject({ status: 'done' });
  });

  it('rejects two handlers for one kind and nonsense settings', () => {
    const handler: JobHandler = { kind: 'message', handle: async () => undefined };
    expect(() => makeWorker(t.db, { handlers: [handler, handler] })).toThrow(/two job handlers/);
    expect(() => makeWorker(t.db, { handlers: [], concurrency: 0 })).toThrow(/concurrency/);
  });
});
