import type { FakeThreadsApi } from '../../../sandbox/fake-xpert/threads-api';
import { SpoolDrainer } from '../../../src/intake/spool.drainer';
import { usingServer } from '../../support/database';
import { useFakeThreadsApi } from '../../support/fake-threads';
import type { PluginHost } from '../../support/plugin-host';
import { startReplicas } from '../../support/replicas';
import { waitFor } from '../../support/wait-for';

// One chat, two replicas, one outage: the first message is spooled on replica A, the second on
// replica B, and B drains first. The answers must still come in the order the person wrote. Needs
// the server: two replicas are two plugins on one PostgreSQL database.

const API_KEY = 'sk-x-spool-order-key';
const XPERT = 'xpert-spool-order';
const HANDOFF = 'plugin_dingtalk_handoff';

interface World {
  a: PluginHost;
  b: PluginHost;
  close(): Promise<void>;
}

async function startWorld(fakeUrl: string, settleMs: number): Promise<World> {
  // A drains only when the test says so (its interval is the longest allowed); B drains at once.
  const drainIntervalMs = [600_000, 50];
  const world = await startReplicas({ xpertId: XPERT, apiKey: API_KEY, apiBaseUrl: fakeUrl }, (i) => ({ pluginConfig: { spool: { drainIntervalMs: drainIntervalMs[i], settleMs } } }));
  return { a: world.replicas[0], b: world.replicas[1], close: world.close };
}

const sql = (world: World, text: string, params: unknown[] = []) => world.a.host.hostDataSource.query(text, params);

async function send(replica: PluginHost, user: string, text: string): Promise<string> {
  const message = replica.http.driver.robotMessage({ conversationType: 'private', senderStaffId: user, text });
  expect((await replica.http.driver.postRobotMessage(replica.http.webhookUrl, message)).status).toBe(200);
  return String(message.msgId);
}

async function jobOf(world: World, eventId: string): Promise<{ seq: number; status: string } | undefined> {
  const rows = await sql(world, `SELECT h.seq::int AS seq, h.status FROM ${HANDOFF} h WHERE h.payload -> 'event' ->> 'eventId' = $1`, [eventId]);
  return rows[0];
}

/** When the expert began answering the message with this text. */
const runStart = (fake: FakeThreadsApi, text: string) => fake.runs().find((run) => JSON.stringify(run.body).includes(text))?.startedAt;

/** Both messages spooled during one outage, A's first; B has drained (and A not yet) when this returns. */
async function outage(world: World, user: string, texts: [string, string]): Promise<[string, string]> {
  await sql(world, `ALTER TABLE ${HANDOFF} RENAME TO ${HANDOFF}_away`);
  let ids: [string, string];
  try {
    ids = [await send(world.a, user, texts[0]), await send(world.b, user, texts[1])];
  } finally {
    await sql(world, `ALTER TABLE ${HANDOFF}_away RENAME TO ${HANDOFF}`);
  }
  await waitFor(async () => (await jobOf(world, ids[1])) !== undefined, 'replica B to drain its spool');
  expect(await jobOf(world, ids[0])).toBeUndefined();
  return ids;
}

const threads = useFakeThreadsApi(API_KEY);

(usingServer ? describe : describe.skip)('a chat spooled on two replicas during one outage (PostgreSQL server)', () => {
  it('is answered in the order it was written, though the later message reached the queue first', async () => {
    const world = await startWorld(threads.url, 3000);
    try {
      const user = 'staff-spool-order';
      const [first, second] = await outage(world, user, ['first words', 'second words']);
      await world.a.host.get(SpoolDrainer).drain();
      await waitFor(() => runStart(threads.api, 'first words') !== undefined && runStart(threads.api, 'second words') !== undefined, 'both answers');
      // The later message was inserted first…
      expect((await jobOf(world, first))!.seq).toBeGreaterThan((await jobOf(world, second))!.seq);
      // …and still answered second.
      expect(runStart(threads.api, 'first words')!).toBeLessThan(runStart(threads.api, 'second words')!);
    } finally {
      await world.close();
    }
  });

  it('with the settle window off, the message drained first is answered first: the window is what keeps the order', async () => {
    const world = await startWorld(threads.url, 0);
    try {
      const user = 'staff-spool-order-off';
      const [, second] = await outage(world, user, ['early words', 'late words']);
      await waitFor(async () => (await jobOf(world, second))?.status === 'done', 'the later message to be answered');
      await world.a.host.get(SpoolDrainer).drain();
      await waitFor(() => runStart(threads.api, 'early words') !== undefined, 'the earlier message to be answered');
      expect(runStart(threads.api, 'late words')!).toBeLessThan(runStart(threads.api, 'early words')!);
    } finally {
      await world.close();
    }
  });
});
