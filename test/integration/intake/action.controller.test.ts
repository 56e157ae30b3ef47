import { actionLinkSecret, buildActionLink } from '../../../src/kernel/action-link';
import { PluginDatabase } from '../../../src/core/plugin-database.service';
import { ConversationBindingRepository } from '../../../src/persistence';
import { intakeCounts } from '../../support/counts';
import { HTTP_APP, startPluginHost, type PluginHost } from '../../support/plugin-host';

let stack: PluginHost;

beforeAll(async () => {
  stack = await startPluginHost({ withStream: false, pluginConfig: { worker: { enabled: false } } });
});

afterAll(async () => {
  await stack?.close();
});

const link = (patch: Record<string, unknown> = {}) =>
  buildActionLink(stack.host.url, { integrationId: stack.http.id, sessionKey: `${stack.http.id}:cid1:user1`, action: 'dingtalk:end', expiresAt: Date.now() + 60_000, ...patch }, actionLinkSecret(HTTP_APP.clientSecret));

describe('GET /api/dingtalk/action', () => {
  it('shows a page on GET and queues an end-session job once per link on POST, answering a localized page', async () => {
    const db = await (stack.host.get(PluginDatabase) as PluginDatabase).open();
    const binding = await new ConversationBindingRepository(db).start(`${stack.http.id}:cid1:user1`, { integrationId: stack.http.id, conversationId: 'cid1', senderId: 'user1', xpertId: 'x' });
    const url = link({ threadId: binding.threadId });
    const before = await intakeCounts(stack.host.hostDataSource);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post"');
    expect(await intakeCounts(stack.host.hostDataSource)).toEqual(before);
    const first = await fetch(url, { method: 'POST' });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain('text/html');
    expect(await first.text()).toContain('会话已结束');
    expect((await fetch(url, { method: 'POST' })).status).toBe(409);
    expect(await intakeCounts(stack.host.hostDataSource)).toEqual({ inbox: before.inbox + 1, jobs: before.jobs + 1 });
    const [job] = await stack.host.hostDataSource.query("SELECT kind, session_key FROM plugin_dingtalk_handoff ORDER BY seq DESC LIMIT 1");
    expect(job).toEqual({ kind: 'end_session', session_key: `${stack.http.id}:cid1:user1` });
  });

  it('refuses a guessed or altered link and an expired one, queueing nothing', async () => {
    const before = await intakeCounts(stack.host.hostDataSource);
    const altered = link().replace('cid1%3Auser1', 'cid1%3Auser2');
    expect((await fetch(altered)).status).toBe(403);
    expect((await fetch(link({ expiresAt: Date.now() - 1000 }))).status).toBe(410);
    expect((await fetch(`${stack.host.url}/api/dingtalk/action?action=dingtalk:end`)).status).toBe(400);
    const page = await fetch(link({ integrationId: '00000000-0000-4000-8000-00000000dead' }));
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('链接无效');
    expect(await intakeCounts(stack.host.hostDataSource)).toEqual(before);
  });
});
