import type { Provider } from '@nestjs/common';
import { RunCancellations } from '../../../src/conversation/run-cancellations';
import { STOP_LISTENER_FACTORY, type StopListenerFactory } from '../../../src/conversation/stop-broadcast.service';
import { usingServer } from '../../support/database';
import { useFakeThreadsApi } from '../../support/fake-threads';
import type { PluginHost } from '../../support/plugin-host';
import { startReplicas, type Replicas } from '../../support/replicas';
import { waitFor } from '../../support/wait-for';

// Two replicas (two host harnesses, one PostgreSQL database, one DingTalk): the answer runs on one,
// `/stop` reaches the other. Needs the server: PGlite is one process, where a stop is local anyway.

const API_KEY = 'sk-x-stop-across-key';
const XPERT = 'xpert-stop-across';

function startWorld(fakeUrl: string, options: { overrides?: Provider[]; pluginConfig?: Record<string, unknown> } = {}): Promise<Replicas> {
  return startReplicas({ xpertId: XPERT, apiKey: API_KEY, apiBaseUrl: fakeUrl }, () => ({ httpOptions: { cardTemplateId: 'sim.ai.card.template' }, ...options }));
}

async function say(replica: PluginHost, senderStaffId: string, text: string): Promise<void> {
  const response = await replica.http.driver.postRobotMessage(replica.http.webhookUrl, replica.http.driver.robotMessage({ conversationType: 'private', senderStaffId, text }));
  expect(response.status).toBe(200);
}

function sessionKeyOf(replica: PluginHost, user: string): string {
  const conversationId = replica.http.driver.robotMessage({ conversationType: 'private', senderStaffId: user }).conversationId as string;
  return `${replica.http.id}:${conversationId}:${user}`;
}

/** Starts a slow answer and returns the replica running it and the other one. */
async function slowAnswer(world: Replicas, user: string): Promise<{ running: PluginHost; other: PluginHost }> {
  // Either replica's worker may claim the job; the test follows whichever did.
  await say(world.replicas[0], user, 'please /hang');
  const key = sessionKeyOf(world.replicas[0], user);
  let running: PluginHost | undefined;
  await waitFor(() => {
    running = world.replicas.find((replica) => replica.host.get(RunCancellations).isRunning(key));
    return running !== undefined;
  }, 'a replica to run the answer');
  await waitFor(() => JSON.stringify(cardOf(world, user)?.content ?? '').includes('Thinking'), 'the answer card to start streaming');
  return { running: running!, other: world.replicas.find((replica) => replica !== running)! };
}

const cardOf = (world: Replicas, user: string) => world.simulator.messages().find((message) => message.kind === 'card' && message.target.id === user);
const stopNotices = (world: Replicas, user: string) =>
  world.simulator.messages().filter((message) => message.kind !== 'card' && message.target.id === user && JSON.stringify(message.content).includes('已停止'));

async function settled(world: Replicas): Promise<void> {
  await waitFor(async () => {
    const [row] = await world.replicas[0].host.hostDataSource.query(`SELECT count(*)::int AS n FROM plugin_dingtalk_handoff WHERE status IN ('queued', 'running')`);
    return Number(row.n) === 0;
  }, 'the queue to drain');
}

/** What the single-replica stop leaves: the card with the words so far, finalized as stopped, and one answer. */
function expectStoppedAnswer(world: Replicas, user: string): void {
  const content = cardOf(world, user)!.content as { stream?: { finalized: boolean; error: boolean } };
  expect(JSON.stringify(content)).toContain('已停止');
  expect(JSON.stringify(content)).toContain('Thinking');
  expect(content.stream?.finalized ?? true).toBe(true);
  expect(content.stream?.error ?? false).toBe(false);
  expect(stopNotices(world, user)).toHaveLength(1);
}

const threads = useFakeThreadsApi(API_KEY);

(usingServer ? describe : describe.skip)('stopping an answer that runs on another replica (PostgreSQL server)', () => {
  describe('with both replicas listening', () => {
    let world: Replicas;
    beforeAll(async () => {
      world = await startWorld(threads.url);
    });
    afterAll(() => world?.close());

    it.each(['/stop', '停止'])('%s sent to the other replica cancels the run, finalizes the card as stopped and answers once', async (command) => {
      const user = `staff-across-${command === '/stop' ? 'a' : 'b'}`;
      const before = threads.api.runs().length;
      const { running, other } = await slowAnswer(world, user);
      const stopped = running.host.get(RunCancellations).stoppedCount();
      await say(other, user, command);
      await waitFor(() => threads.api.runs()[before]?.outcome === 'aborted', 'the threads API to see the run cancelled');
      await settled(world);
      expectStoppedAnswer(world, user);
      // Stopped once where it ran, however many ways the stop arrived there.
      expect(running.host.get(RunCancellations).stoppedCount()).toBe(stopped + 1);
      // One expert run: the command itself asks nothing.
      expect(threads.api.runs().length).toBe(before + 1);
    });

    it('says nothing about stops above debug when nothing went wrong', () => {
      for (const replica of world.replicas) {
        const lines = replica.logs.lines.filter((line) => /^(warn|error)/.test(line) && /plugin_dingtalk_stop|other replicas|recorded stops/.test(line));
        expect(lines).toEqual([]);
      }
    });

    it('a stop with nothing running anywhere is only answered', async () => {
      const user = 'staff-across-idle';
      const before = threads.api.runs().length;
      await say(world.replicas[1], user, '/stop');
      await settled(world);
      expect(stopNotices(world, user)).toHaveLength(1);
      expect(threads.api.runs().length).toBe(before);
      const [row] = await world.replicas[0].host.hostDataSource.query(`SELECT count(*)::int AS n FROM plugin_dingtalk_run_stop WHERE session_key = $1`, [sessionKeyOf(world.replicas[0], user)]);
      expect(row.n).toBe(0);
    });
  });

  describe('with the notification missed (no listener on either replica)', () => {
    // A listener that never hears anything: the replica running the answer finds the stop only as
    // recorded for its job. A short lease makes it look every second.
    const deaf: StopListenerFactory = () => ({ start: () => undefined, close: async () => undefined });
    let world: Replicas;
    beforeAll(async () => {
      world = await startWorld(threads.url, { overrides: [{ provide: STOP_LISTENER_FACTORY, useValue: deaf }], pluginConfig: { worker: { leaseMs: 3000 } } });
    });
    afterAll(() => world?.close());

    it('the stop recorded for the running job still stops it', async () => {
      const user = 'staff-across-missed';
      const before = threads.api.runs().length;
      const { running, other } = await slowAnswer(world, user);
      await say(other, user, '/stop');
      await waitFor(() => threads.api.runs()[before]?.outcome === 'aborted', 'the threads API to see the run cancelled', 20_000);
      await settled(world);
      expectStoppedAnswer(world, user);
      expect(running.host.get(RunCancellations).stoppedCount()).toBe(1);
      expect(other.host.get(RunCancellations).stoppedCount()).toBe(0);
    });
  });
});
