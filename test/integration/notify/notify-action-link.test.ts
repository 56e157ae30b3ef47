import { AgentMiddlewareRegistry } from '@xpert-ai/plugin-sdk';
import { PluginDatabase } from '../../../src/core/plugin-database.service';
import { DingTalkNotifyMiddleware } from '../../../src/notify';
import { startPluginHost, type PluginHost } from '../../support/plugin-host';

// The middleware inside the plugin host (registered like the plugin module will register it), and
// an action button followed all the way: the signed link it carries is accepted by the plugin's
// own action route and queued as a `card_action` job carrying the button's action and value.

let stack: PluginHost;
beforeAll(async () => {
  stack = await startPluginHost({ overrides: [DingTalkNotifyMiddleware], pluginConfig: { publicBaseUrl: 'https://xpert.example.com' }, withStream: false });
});
afterAll(async () => {
  await stack?.close();
});

it('an action button press comes back through the action route as a dingtalk:card_action job', async () => {
  const strategy = stack.host.get(AgentMiddlewareRegistry).get('DingTalkNotifyMiddleware');
  const middleware = await strategy.createMiddleware({ integrationId: stack.http.id, recipient_type: 'user_id', recipient_id: 'staff-bob' }, { tenantId: 't', userId: 'u', node: null as never });
  const rich = middleware.tools!.find((t) => t.name === 'dingtalk_send_rich_notification')!;
  const out = await rich.invoke({ mode: 'interactive', title: 'Approve?', text: 'Expense #12: ¥300', buttons: [{ title: 'Approve', action: 'approve', value: 'exp-12' }] });
  expect(JSON.parse(out as string)).toMatchObject({ ok: true, form: 'action_card' });

  const [message] = stack.simulator.messages();
  expect(message.msgKey).toBe('sampleActionCard');
  const link = new URL((message.content as { singleURL: string }).singleURL);
  expect(link.origin).toBe('https://xpert.example.com');

  // DingTalk opens the link in a browser; here it goes straight to the host. The GET only shows the
  // button; pressing it POSTs.
  const page = await fetch(`${stack.host.url}${link.pathname}${link.search}`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<form method="post"');
  const response = await fetch(`${stack.host.url}${link.pathname}${link.search}`, { method: 'POST' });
  expect(response.status).toBe(200);
  const db = stack.host.get(PluginDatabase).db;
  const jobs = await db.query<{ kind: string; payload: any; session_key: string }>(`SELECT kind, payload, session_key FROM plugin_dingtalk_handoff`);
  expect(jobs).toHaveLength(1);
  expect(jobs[0].kind).toBe('card_action');
  expect(jobs[0].payload.event).toMatchObject({ kind: 'action', action: 'dingtalk:card_action', params: { action: 'approve', value: 'exp-12' } });
  expect(jobs[0].session_key).toBe(`${stack.http.id}:notify:user_id:staff-bob`);

  // A forged value is refused by the route and queues nothing.
  const forged = new URL(link);
  forged.searchParams.set('p_value', 'exp-999');
  expect((await fetch(`${stack.host.url}${forged.pathname}${forged.search}`)).status).toBe(403);
  expect(await db.query(`SELECT 1 FROM plugin_dingtalk_handoff`)).toHaveLength(1);
});
