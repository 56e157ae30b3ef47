import { BudgetHeartbeat } from '../../../src/delivery/budget.heartbeat';
import { joinDelayMs } from '../../../src/delivery/app-budget';
import { DingTalkClient } from '../../../src/dingtalk/client';
import { AppBudgetRepository } from '../../../src/persistence/app-budget.repository';
import { createSimulator, type DingTalkSimulator } from '../../../sandbox/simulator';
import { openTestDatabase, type TestDatabase } from '../../support/database';

// Two plugin replicas of one DingTalk app on one real database (PGlite, or the server with
// DATABASE_URL) share the app's per-API budget: against a simulator enforcing 20 calls/s per app
// per API, bursts from both together are never refused and never exceed the limit in any second.

const APP = { clientId: 'dingbudgetapp', clientSecret: 'budget-secret' };
const GROUP_SEND = '/v1.0/robot/groupMessages/send';
const TIMING = { heartbeatMs: 100, permitHoldMs: 1050 };

let sim: DingTalkSimulator;
let database: TestDatabase;

beforeAll(async () => {
  sim = await createSimulator();
  sim.apps.register(APP);
  database = await openTestDatabase();
});

afterAll(async () => {
  await sim?.close();
  await database?.close();
});

function replica(id: string, now: () => number) {
  // No client retries: a refusal by the simulator would reach the caller.
  const client = new DingTalkClient({ ...APP, apiBaseUrl: sim.baseUrl, oapiBaseUrl: sim.baseUrl, maxRetries: 0, rateLimit: { perSecond: 20 } });
  const logger = { debug: () => undefined, warn: () => undefined };
  const heartbeat = new BudgetHeartbeat({ repository: async () => new AppBudgetRepository(database.db), replicaId: id, clients: () => [client], timing: TIMING, now, logger });
  heartbeat.track(client);
  return { client, heartbeat };
}

/** The most calls that arrived within any one second. */
function busiestSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= 1000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

it('two replicas split the app budget, a newcomer waits until the other has cut its share, and a leaver hands its share back', async () => {
  let now = 1_000_000;
  const clock = () => now;
  const a = replica('replica-a', clock);
  await a.heartbeat.beat();
  expect(a.client.apiShare).toBe(20); // alone: the whole budget at once

  const b = replica('replica-b', clock);
  await b.heartbeat.beat();
  expect(b.client.apiShare).toBe(0); // found A: waits until A has seen it
  await a.heartbeat.beat();
  expect(a.client.apiShare).toBe(10);
  now += joinDelayMs(TIMING);
  await b.heartbeat.beat();
  expect(b.client.apiShare).toBe(10);

  sim.faults.set({ rateLimitPerSecond: 20 });
  const send = (client: DingTalkClient, n: number) =>
    Promise.allSettled(Array.from({ length: n }, (_, i) => client.sendToGroup({ openConversationId: `cid-budget-${i}`, msgKey: 'sampleText', msgParam: { content: 'hi' } })));
  const [fromA, fromB] = await Promise.all([send(a.client, 40), send(b.client, 40)]);
  expect([...fromA, ...fromB].filter((r) => r.status === 'rejected')).toEqual([]);
  const calls = sim.calls({ path: GROUP_SEND });
  expect(calls).toHaveLength(80);
  expect(calls.filter((c) => c.status !== 200)).toEqual([]);
  expect(busiestSecond(calls.map((c) => c.time))).toBeLessThanOrEqual(20);

  await b.heartbeat.stop();
  await a.heartbeat.beat();
  expect(a.client.apiShare).toBe(20);
  await a.heartbeat.stop();
  sim.faults.clear();
}, 30_000);
