import { createFakeThreadsApi, type FakeThreadsApi } from '../../../sandbox/fake-xpert/threads-api';
import { actionLinkSecret, buildActionLink } from '../../../src/kernel/action-link';
import { PluginDatabase } from '../../../src/core/plugin-database.service';
import { TriggerBindingRepository } from '../../../src/persistence';
import { HTTP_APP, startPluginHost, type PluginHost } from '../../support/plugin-host';
import { waitFor } from '../../support/wait-for';

const API_KEY = 'sk-x-stop-test-key';
const XPERT = 'xpert-stop';

let stack: PluginHost;
let fake: FakeThreadsApi;

beforeAll(async () => {
  fake = createFakeThreadsApi({ apiKey: API_KEY });
  const fakeUrl = await fake.listen();
  stack = await startPluginHost({ withStream: false, httpOptions: { cardTemplateId: 'sim.ai.card.template' } });
  await new TriggerBindingRepository(stack.host.get(PluginDatabase).db).upsert({ integrationId: stack.http.id, xpertId: XPERT, config: { xpertApiKey: API_KEY, xpertApiBaseUrl: fakeUrl } });
});

afterAll(async () => {
  await stack?.close();
  await fake?.close();
});

async function say(senderStaffId: string, text: string): Promise<void> {
  const response = await stack.http.driver.postRobotMessage(stack.http.webhookUrl, stack.http.driver.robotMessage({ conversationType: 'private', senderStaffId, text }));
  expect(response.status).toBe(200);
}

async function settled(): Promise<void> {
  await waitFor(async () => {
    const [row] = await stack.host.hostDataSource.query(`SELECT count(*)::int AS n FROM plugin_dingtalk_handoff WHERE status IN ('queued', 'running')`);
    return Number(row.n) === 0;
  }, 'the queue to drain');
}

const cardOf = (user: string) => stack.simulator.messages().find((message) => message.kind === 'card' && message.target.id === user);
const noticesTo = (user: string) => stack.simulator.messages().filter((message) => message.kind !== 'card' && message.target.id === user).map((message) => JSON.stringify(message.content));

describe('stopping a running answer', () => {
  it.each(['/stop', '停止'])('%s cancels the run at the threads API, finalizes the card as stopped and answers once', async (command) => {
    const user = `staff-stop-${command === '/stop' ? 'a' : 'b'}`;
    const before = fake.runs().length;
    await say(user, 'please /hang');
    // The card is on screen with the first words while the expert still works.
    await waitFor(() => JSON.stringify(cardOf(user)?.content ?? '').includes('Thinking'), 'the answer card to start streaming');
    await say(user, command);
    await waitFor(() => fake.runs()[before]?.outcome === 'aborted', 'the threads API to see the run cancelled');
    await settled();

    const card = cardOf(user)!;
    const content = card.content as { stream?: { finalized: boolean; error: boolean } };
    expect(JSON.stringify(content)).toContain('已停止');
    expect(JSON.stringify(content)).toContain('Thinking');
    expect(content.stream?.finalized ?? true).toBe(true);
    expect(content.stream?.error ?? false).toBe(false);
    expect(noticesTo(user).filter((text) => text.includes('已停止'))).toHaveLength(1);
    // No second expert run for the command itself.
    expect(fake.runs().length).toBe(before + 1);

    // Again with nothing running: still one short answer, nothing else happens.
    await say(user, command);
    await settled();
    expect(noticesTo(user).filter((text) => text.includes('已停止'))).toHaveLength(2);
    expect(fake.runs().length).toBe(before + 1);
  });

  it('End conversation during a run cancels it too; pressing it twice changes nothing more', async () => {
    const user = 'staff-stop-end';
    const before = fake.runs().length;
    await say(user, 'please /hang');
    await waitFor(() => JSON.stringify(cardOf(user)?.content ?? '').includes('Thinking'), 'the answer card to start streaming');
    const conversationId = stack.http.driver.robotMessage({ conversationType: 'private', senderStaffId: user }).conversationId as string;
    const sessionKey = `${stack.http.id}:${conversationId}:${user}`;
    const [binding] = await stack.host.hostDataSource.query(`SELECT thread_id FROM plugin_dingtalk_conversation_binding WHERE session_key = $1`, [sessionKey]);
    const link = buildActionLink(
      stack.host.url,
      { integrationId: stack.http.id, sessionKey, threadId: binding.thread_id, action: 'dingtalk:end', expiresAt: Date.now() + 60_000 },
      actionLinkSecret(HTTP_APP.clientSecret),
    );
    // Opening the link shows a page; its button posts the action.
    expect((await fetch(link, { method: 'POST' })).status).toBe(200);
    await waitFor(() => fake.runs()[before]?.outcome === 'aborted', 'the threads API to see the run cancelled');
    await settled();
    expect(JSON.stringify(cardOf(user)!.content)).toContain('已停止');
    // Single-use: the second press is refused, and nothing more happens.
    expect((await fetch(link, { method: 'POST' })).status).toBe(409);
    await settled();
    expect(fake.runs().length).toBe(before + 1);
  });
});
