import { IN_FLIGHT_MS, inFlightError, sendOnce } from '../../../src/delivery/send-once';
import { AppBudgetRepository } from '../../../src/persistence/app-budget.repository';
import { OutboxRepository } from '../../../src/persistence/outbox.repository';
import { openTestDatabase, resetTables, type TestDatabase } from '../../support/database';

// The one rule for in-flight outbox rows, on a real database: a pending row is an identical send
// still running only while it is young AND its sender replica still heartbeats; a dead sender's
// pending row is sent again at once (a job retried after its replica died must not wait on it).

let database: TestDatabase;
let outbox: OutboxRepository;

beforeAll(async () => {
  database = await openTestDatabase();
  outbox = new OutboxRepository(database.db);
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  await resetTables(database.db);
});

const input = (key: string) => ({ idempotencyKey: key, integrationId: 'i1', targetType: 'user' as const, targetId: 'u1', messageKind: 'markdown' });

/** A first attempt by `sender` that reserved the row and then never finished (crashed, or still waiting). */
async function unfinished(key: string, sender: string): Promise<void> {
  await outbox.reserve(database.db, { ...input(key), sender });
}

it('refuses a young pending row whose sender lives, and sends a dead sender’s row again', async () => {
  await new AppBudgetRepository(database.db).heartbeat('replica-live', ['app'], 60_000);
  await unfinished('k-live', 'replica-live');
  await unfinished('k-dead', 'replica-dead');
  let sends = 0;
  const send = async () => {
    sends += 1;
    return { processQueryKey: `pqk${sends}` };
  };
  // Refused with the time left until the first attempt counts as timed out, for the job's retry.
  const refusal = sendOnce(database.db, outbox, input('k-live'), Date.now(), send, 'replica-me');
  await expect(refusal).rejects.toMatchObject({ code: inFlightError('x').code });
  const { retryInMs } = ((await refusal.catch((error: { details?: { retryInMs?: number } }) => error)) as { details: { retryInMs: number } }).details;
  expect(retryInMs).toBeGreaterThan(IN_FLIGHT_MS - 5_000);
  expect(retryInMs).toBeLessThanOrEqual(IN_FLIGHT_MS);
  const again = await sendOnce(database.db, outbox, input('k-dead'), Date.now(), send, 'replica-me');
  expect(sends).toBe(1);
  expect(again).toMatchObject({ reused: false, row: { status: 'sent', processQueryKey: 'pqk1' } });
  // Sent once: every later identical send reuses it.
  expect(await sendOnce(database.db, outbox, input('k-dead'), Date.now(), send, 'replica-other')).toMatchObject({ reused: true });
  expect(sends).toBe(1);
});
