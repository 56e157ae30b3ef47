import { createFakeThreadsApi, type FakeThreadsApi } from '../../../sandbox/fake-xpert/threads-api';
import { PluginDatabase } from '../../../src/core/plugin-database.service';
import { TriggerBindingRepository } from '../../../src/persistence';
import { startPluginHost, type PluginHost } from '../../support/plugin-host';
import { waitFor } from '../../support/wait-for';

const API_KEY = 'sk-x-group-test-key';
const XPERT = 'xpert-group';

let cards: PluginHost;
let fake: FakeThreadsApi;
let fakeUrl: string;

beforeAll(async () => {
  fake = createFakeThreadsApi({ apiKey: API_KEY });
  fakeUrl = await fake.listen();
  cards = await startPluginHost({ withStream: false, httpOptions: { cardTemplateId: 'sim.ai.card.template' } });
});

afterAll(async () => {
  await cards?.close();
  await fake?.close();
});

async function bind(stack: PluginHost, extra: Record<string, unknown> = {}): Promise<void> {
  await new TriggerBindingRepository(stack.host.get(PluginDatabase).db).upsert({
    integrationId: stack.http.id,
    xpertId: XPERT,
    config: { xpertApiKey: API_KEY, xpertApiBaseUrl: fakeUrl, ...extra },
  });
}

async function say(stack: PluginHost, input: Parameters<PluginHost['http']['driver']['robotMessage']>[0]): Promise<void> {
  const response = await stack.http.driver.postRobotMessage(stack.http.webhookUrl, stack.http.driver.robotMessage(input));
  expect(response.status).toBe(200);
}

async function settled(stack: PluginHost): Promise<void> {
  await waitFor(async () => {
    const [row] = await stack.host.hostDataSource.query(`SELECT count(*)::int AS n FROM plugin_dingtalk_handoff WHERE status IN ('queued', 'running')`);
    return Number(row.n) === 0;
  }, 'the queue to drain');
}

describe('group conversations', () => {
  it("a group answer card is delivered @-mentioning the asker (the deliver model's atUserIds)", async () => {
    await bind(cards);
    await say(cards, { conversationType: 'group', conversationId: 'cidCardGroup', senderStaffId: 'staff-ann', senderNick: 'Ann', text: 'hello group' });
    await settled(cards);
    const card = cards.simulator.messages().find((message) => message.kind === 'card' && message.target.id === 'cidCardGroup');
    expect(card).toBeDefined();
    expect((card!.content as { atUserIds?: string[] }).atUserIds).toEqual(['staff-ann']);
  });

  it('groupSessionMode shared: members continue one expert conversation, each turn labelled with the nick', async () => {
    await bind(cards, { groupSessionMode: 'shared' });
    const before = fake.runs().length;
    await say(cards, { conversationType: 'group', conversationId: 'cidShared', senderStaffId: 'staff-ann', senderNick: 'Ann', text: 'first question' });
    await settled(cards);
    await say(cards, { conversationType: 'group', conversationId: 'cidShared', senderStaffId: 'staff-bob', senderNick: 'Bob', text: 'second question' });
    await settled(cards);
    const runs = fake.runs().slice(before);
    expect(runs).toHaveLength(2);
    expect(runs[1].threadId).toBe(runs[0].threadId);
    expect(JSON.stringify(runs[0].body)).toContain('Ann: first question');
    expect(JSON.stringify(runs[1].body)).toContain('Bob: second question');
    const rows = await cards.host.hostDataSource.query(`SELECT session_key FROM plugin_dingtalk_conversation_binding WHERE conversation_id = 'cidShared'`);
    expect(rows).toEqual([{ session_key: `${cards.http.id}:cidShared:*group` }]);

    // per_user (the default) keeps one conversation per member.
    await bind(cards);
    const perUser = fake.runs().length;
    await say(cards, { conversationType: 'group', conversationId: 'cidPerUser', senderStaffId: 'staff-ann', senderNick: 'Ann', text: 'mine' });
    await settled(cards);
    await say(cards, { conversationType: 'group', conversationId: 'cidPerUser', senderStaffId: 'staff-bob', senderNick: 'Bob', text: 'mine too' });
    await settled(cards);
    const [ann, bob] = fake.runs().slice(perUser);
    expect(bob.threadId).not.toBe(ann.threadId);
    expect(JSON.stringify(ann.body)).not.toContain('Ann:');
  });
});
