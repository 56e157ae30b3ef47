import { inFlightError } from '../../../src/delivery/send-once';
import type { JobHandler } from '../../../src/handoff/job-handler.port';
import { HandoffRepository, TABLES } from '../../../src/persistence';
import { type TestDatabase, useFreshTables } from '../../support/database';
import { makeWorker, newJob, outcomeRecorder } from './worker-fixtures';

// A job refused because an identical send is still in flight is retried when that send counts as
// timed out, not at its own backoff: otherwise a row left pending by a database outage (sent, then
// not recorded) used up every attempt within seconds and the answer was never delivered.

describe('a retry hint in the error', () => {
  let t: TestDatabase;
  useFreshTables((database) => {
    t = database;
  });

  async function failOnce(error: Error): Promise<number> {
    const handler: JobHandler = { kind: 'message', handle: () => Promise.reject(error) };
    const outcomes = outcomeRecorder();
    const worker = makeWorker(t.db, { handlers: [handler], retry: { baseMs: 50, maxMs: 100 }, onJobSettled: outcomes.onJobSettled });
    const job = await new HandoffRepository(t.db).enqueue(t.db, newJob({ maxAttempts: 6 }));
    const settled = outcomes.next(job.id);
    expect(await worker.runOnce()).toBe(1);
    expect(await settled).toBe('retried');
    await worker.stop();
    const [row] = await t.db.query<{ wait: unknown }>(`SELECT extract(epoch FROM run_at - now()) * 1000 AS wait FROM ${TABLES.handoff} WHERE id = $1`, [job.id]);
    return Number(row.wait);
  }

  it('an identical send in flight: the retry waits until that send has timed out', async () => {
    const wait = await failOnce(inFlightError('k1', 20_000));
    expect(wait).toBeGreaterThan(19_000);
    expect(wait).toBeLessThanOrEqual(20_000);
  });

  it('without a hint the backoff alone decides', async () => {
    expect(await failOnce(new Error('flaky'))).toBeLessThan(1_000);
  });
});
