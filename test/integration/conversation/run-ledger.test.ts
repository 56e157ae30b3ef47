import { RunLedger } from '../../../src/conversation/run-ledger';
import type { Queryable } from '../../../src/persistence';
import type { ReplyTarget } from '../../../src/kernel/run-context';
import { openTestDatabase, resetTables, type TestDatabase } from '../../support/database';

// The run ledger keeps a finished expert run's result across a database outage (P12 without a
// second expert run): recording waits for the database within its patience, then gives up loudly.

const TARGET = { integrationId: 'int-ledger', conversationType: 'private', conversationId: 'cid-1', senderStaffId: 's1', language: 'en' } as ReplyTarget;
const RESULT = { status: 'idle' as const, text: 'the answer' };

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  await resetTables(t.db);
});

/** The real database, except that the next `failures` UPDATEs fail like a restarting server. */
function flaky(db: Queryable, failures: { left: number }): Queryable {
  return {
    query: (sql, params) => {
      if (/^\s*UPDATE/i.test(sql) && failures.left > 0) {
        failures.left -= 1;
        return Promise.reject(new Error('terminating connection due to administrator command'));
      }
      return db.query(sql, params);
    },
  };
}

function fakeTime() {
  let now = 0;
  const pauses: number[] = [];
  return { now: () => now, sleep: async (ms: number) => void (pauses.push(ms), (now += ms)), pauses };
}

it('waits out a short outage with growing pauses and stores the result once the database answers', async () => {
  const failures = { left: 3 };
  const time = fakeTime();
  const ledger = new RunLedger(flaky(t.db, failures), { recordPatienceMs: 10_000, ...time });
  const entry = await ledger.lookup('turn-1', TARGET);
  await ledger.record(entry, RESULT);
  expect(failures.left).toBe(0);
  expect(time.pauses).toEqual([200, 400, 800]);
  expect(await new RunLedger(t.db).completed('turn-1')).toEqual(RESULT);
  expect((await new RunLedger(t.db).lookup('turn-1', TARGET)).result).toEqual(RESULT);
});

it('gives up after its patience with the database error, leaving the turn unrecorded', async () => {
  const time = fakeTime();
  const ledger = new RunLedger(flaky(t.db, { left: 100 }), { recordPatienceMs: 3_000, ...time });
  const entry = await ledger.lookup('turn-2', TARGET);
  await expect(ledger.record(entry, RESULT)).rejects.toThrow('terminating connection');
  expect(time.pauses.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(3_000);
  expect(await new RunLedger(t.db).completed('turn-2')).toBeUndefined();
});

it('does not wait when the job is being aborted (shutdown)', async () => {
  const time = fakeTime();
  const ledger = new RunLedger(flaky(t.db, { left: 100 }), { ...time });
  const entry = await ledger.lookup('turn-3', TARGET);
  const abort = new AbortController();
  abort.abort();
  await expect(ledger.record(entry, RESULT, abort.signal)).rejects.toThrow();
  expect(time.pauses).toEqual([]);
});
