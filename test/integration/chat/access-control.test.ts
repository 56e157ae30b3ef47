import { createFakeThreadsApi, type FakeThreadsApi } from '../../../sandbox/fake-xpert/threads-api';
import { PluginDatabase } from '../../../src/core/plugin-database.service';
import { TriggerBindingRepository } from '../../../src/persistence';
import { startPluginHost, type PluginHost } from '../../support/plugin-host';
import { waitFor } from '../../support/wait-for';

const API_KEY = 'sk-x-access-test-key';
const XPERT = 'xpert-access';

let stack: PluginHost;
let fake: FakeThreadsApi;
let fakeUrl: string;

beforeAll(async () => {
  fake = createFakeThreadsApi({ apiKey: API_KEY });
  fakeUrl = await fake.listen();
  stack = await startPluginHost({ withStream: false });
});

afterAll(async () => {
  await stack?.close();
  await fake?.close();
});

beforeEach(() => stack.simulator.clearMessages());

async function bind(access: Record<string, unknown>): Promise<void> {
  await new TriggerBindingRepository(stack.host.get(PluginDatabase).db).upsert({
    integrationId: stack.http.id,
    xpertId: XPERT,
    config: { xpertApiKey: API_KEY, xpertApiBaseUrl: fakeUrl, ...access },
  });
}

async function say(input: Parameters<PluginHost['http']['driver']['robotMessage']>[0]): Promise<void> {
  const response = await stack.http.driver.postRobotMessage(stack.http.webhookUrl, stack.http.driver.robotMessage(input));
  expect(response.status).toBe(200);
}

const textsTo = (id: string) =>
  stack.simulator
    .messages()
    .filter((message) => message.target.id === id)
    .map((message) => JSON.stringify(message.content));

async function status(): Promise<Record<string, any>> {
  const response = await fetch(`${stack.host.url}/api/dingtalk/status/${stack.http.id}`, { headers: { authorization: stack.host.authorization } });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, any>;
}

async function settled(): Promise<void> {
  await waitFor(async () => {
    const [row] = await stack.host.hostDataSource.query(`SELECT count(*)::int AS n FROM plugin_dingtalk_handoff WHERE status IN ('queued', 'running')`);
    return Number(row.n) === 0;
  }, 'the queue to drain');
}

describe('access control on the trigger', () => {
  it('private chats limited to selected users: a refused person gets one notice with their id and no run; a listed one is answered', async () => {
    await bind({ privateChatScope: 'selected', privateChatUsers: ['staff-ok'] });
    const runsBefore = fake.runs().length;
    await say({ conversationType: 'private', senderStaffId: 'staff-no', text: 'let me in' });
    await settled();
    await say({ conversationType: 'private', senderStaffId: 'staff-no', text: 'please?' });
    await settled();

    // A private chat's answers go to the person (the integration speaks zh-Hans by default).
    const notices = textsTo('staff-no');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('staff-no');
    expect(notices[0]).toContain('访问名单');
    expect(fake.runs().length).toBe(runsBefore);
    const [sessions] = await stack.host.hostDataSource.query(`SELECT count(*)::int AS n FROM plugin_dingtalk_conversation_binding WHERE sender_id = 'staff-no'`);
    expect(Number(sessions.n)).toBe(0);

    const report = await status();
    expect(report.refusals.total).toBe(2);
    expect(report.refusals.recent).toEqual([expect.objectContaining({ subjectId: 'staff-no', conversationType: 'private', reason: 'private_user_not_selected', count: 2 })]);

    await say({ conversationType: 'private', senderStaffId: 'staff-ok', text: 'hello' });
    await waitFor(() => fake.runs().length === runsBefore + 1, 'the listed person to be answered');
    await settled();
    expect((await status()).refusals.total).toBe(2);
  });

  it('groups limited to selected groups and members: the group and the member rules refuse with their own reason', async () => {
    await bind({ groupScope: 'selected', groups: ['cidGroupAllowed'], groupMemberScope: 'selected', groupMembers: ['staff-member'] });
    const runsBefore = fake.runs().length;
    await say({ conversationType: 'group', conversationId: 'cidGroupOther', conversationTitle: 'Other team', senderStaffId: 'staff-member', text: 'hi bot' });
    await say({ conversationType: 'group', conversationId: 'cidGroupAllowed', conversationTitle: 'Our team', senderStaffId: 'staff-guest', text: 'hi bot' });
    await settled();
    expect(fake.runs().length).toBe(runsBefore);
    expect(textsTo('cidGroupOther')).toEqual([expect.stringContaining('cidGroupOther')]);
    expect(textsTo('cidGroupAllowed')).toEqual([expect.stringContaining('staff-guest')]);
    const reasons = (await status()).refusals.recent.map((r: Record<string, unknown>) => `${r.conversationId}/${r.subjectId}/${r.reason}`);
    expect(reasons).toEqual(expect.arrayContaining(['cidGroupOther/staff-member/group_not_selected', 'cidGroupAllowed/staff-guest/group_member_not_selected']));

    await say({ conversationType: 'group', conversationId: 'cidGroupAllowed', conversationTitle: 'Our team', senderStaffId: 'staff-member', text: 'hi bot' });
    await waitFor(() => fake.runs().length === runsBefore + 1, 'the selected member in the selected group to be answered');
    await settled();
  });

  it('the option lists: groups the bot has seen, people from the directory; no integration is a coded 400', async () => {
    const headers = { authorization: stack.host.authorization };
    const groups = (await (await fetch(`${stack.host.url}/api/dingtalk/chat-select-options?integration=${stack.http.id}`, { headers })).json()) as Array<Record<string, string>>;
    expect(groups).toEqual(expect.arrayContaining([{ value: 'cidGroupAllowed', label: 'Our team', description: 'cidGroupAllowed' }, expect.objectContaining({ value: 'cidGroupOther', label: 'Other team' })]));

    stack.simulator.directory.addUser({ userid: 'staff-dir-1', name: 'Dora', title: 'Engineer' });
    stack.simulator.directory.addUser({ userid: 'staff-dir-2', name: 'Evan' });
    const users = (await (await fetch(`${stack.host.url}/api/dingtalk/user-select-options?integration=${stack.http.id}`, { headers })).json()) as Array<Record<string, string>>;
    expect(users).toEqual(expect.arrayContaining([{ value: 'staff-dir-1', label: 'Dora', description: 'Engineer · staff-dir-1' }, { value: 'staff-dir-2', label: 'Evan', description: 'staff-dir-2' }]));
    const filtered = (await (await fetch(`${stack.host.url}/api/dingtalk/user-select-options?integration=${stack.http.id}&keyword=dora`, { headers })).json()) as Array<Record<string, string>>;
    expect(filtered.map((user) => user.value)).toEqual(['staff-dir-1']);

    const missing = await fetch(`${stack.host.url}/api/dingtalk/user-select-options`, { headers });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ code: 'dingtalk_select_integration_missing' });
  });
});
