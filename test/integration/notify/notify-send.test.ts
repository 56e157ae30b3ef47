import { actionLinkSecret, verifyActionLink } from '../../../src/kernel/action-link';
import { BATCH_SEND, CARD_APP, CARD_INTEGRATION_ID, CARD_SEND, GROUP_SEND, INTEGRATION_ID, PUBLIC_BASE_URL, RICH, TEXT, useNotifyFixture, type NotifyFixture } from './notify-fixture';

let f: NotifyFixture;
useNotifyFixture((fixture) => (f = fixture));

const toUser = (extra: Record<string, unknown> = {}) => f.middleware({ integrationId: INTEGRATION_ID, recipient_type: 'user_id', recipient_id: 'staff-bob', ...extra });

describe('recipients', () => {
  it('sends text to a configured user through the 1:1 robot API', async () => {
    const result = await f.run(f.tool(toUser(), TEXT), { text: 'Build 42 is green' });
    expect(result.json).toMatchObject({ ok: true, via: 'openapi', recipient: { type: 'user_id', id: 'staff-bob', source: 'configured recipient' } });
    const [call] = f.sim.calls({ path: BATCH_SEND });
    expect(call.body).toMatchObject({ robotCode: APP_ROBOT, userIds: ['staff-bob'], msgKey: 'sampleText' });
    expect(JSON.parse((call.body as { msgParam: string }).msgParam)).toEqual({ content: 'Build 42 is green' });
    expect(result.state.dingtalk_notify_last_message_ids).toEqual([result.json!.message_id]);
    expect(result.state.dingtalk_notify_last_result).toMatchObject({ ok: true, message_id: result.json!.message_id });
  });

  it('sends text to a configured group through the group robot API', async () => {
    const mw = f.middleware({ integrationId: INTEGRATION_ID, recipient_type: 'chat_id', recipient_id: 'cidOps==' });
    await f.run(f.tool(mw, TEXT), { text: 'Deploy started' });
    expect(f.sim.calls({ path: GROUP_SEND })[0].body).toMatchObject({ openConversationId: 'cidOps==', msgKey: 'sampleText' });
    expect(f.sim.messages()[0]).toMatchObject({ kind: 'robot', target: { type: 'group', id: 'cidOps==' } });
  });

  it('replies to the group a run came from, before any configured recipient', async () => {
    const state = { human: { input: 'status?', dingtalk: f.runContext() } };
    const result = await f.run(f.tool(toUser(), TEXT), { text: 'All good' }, state);
    expect(result.json).toMatchObject({ ok: true, recipient: { type: 'chat_id', id: 'cidGroupOne==', source: 'originating conversation' } });
    expect(f.sim.calls({ path: BATCH_SEND })).toHaveLength(0);
    expect(f.sim.messages()[0].target).toEqual({ type: 'group', id: 'cidGroupOne==' });
  });

  it('replies in a private chat to the sender by userId', async () => {
    const state = { human: { dingtalk: f.runContext({ conversationType: 'private', conversationId: 'cidPrivate==' }) } };
    await f.run(f.tool(f.middleware({ integrationId: INTEGRATION_ID }), TEXT), { text: 'Hi Alice' }, state);
    expect(f.sim.messages()[0].target).toEqual({ type: 'user', id: 'staff-alice' });
  });

  it('open_id (unionId): text is refused with an explanation, a template card is delivered with userIdType 2', async () => {
    const mw = f.middleware({ integrationId: INTEGRATION_ID, recipient_type: 'open_id', recipient_id: 'union-bob' });
    const text = await f.run(f.tool(mw, TEXT), { text: 'hello' });
    expect(text.json).toBeUndefined();
    expect(text.content).toMatch(/unionId \(open_id\) recipient can only receive cards/);
    expect(text.status).toBe('error');
    expect(f.sim.messages()).toHaveLength(0);

    const card = await f.run(f.tool(mw, RICH), { mode: 'template', cardTemplateId: 'tpl.alert', cardData: { level: 3 } });
    expect(card.json).toMatchObject({ ok: true, form: 'card' });
    expect(f.sim.calls({ path: CARD_SEND })[0].body).toMatchObject({ openSpaceId: 'dtv1.card//IM_ROBOT.union-bob', userIdType: 2, cardData: { cardParamMap: { level: '3' } } });
  });

  it('@-mentions only through the originating group’s reply webhook, and says so otherwise', async () => {
    const session = f.sim.sessions.create({ clientId: 'dingnotifyapp', robotCode: 'dingnotifyapp', conversationId: 'cidGroupOne==', conversationType: '2', senderStaffId: 'staff-alice' });
    const state = { human: { dingtalk: f.runContext({ sessionWebhook: session.url, sessionWebhookExpiresAt: session.expiresAt }) } };
    const mentioned = await f.run(f.tool(toUser(), TEXT), { text: 'Please review', at_user_ids: ['staff-carol'] }, state);
    expect(mentioned.json).toMatchObject({ ok: true, via: 'webhook', mentioned: ['staff-carol'], recallable: false });
    expect(f.sim.messages()[0]).toMatchObject({ kind: 'webhook', content: { msgtype: 'text', text: { content: 'Please review @staff-carol' }, at: { atUserIds: ['staff-carol'] } } });

    const plain = await f.run(f.tool(toUser(), TEXT), { text: 'Please review', at_user_ids: ['staff-carol'] });
    expect(plain.json).toMatchObject({ ok: true, via: 'openapi' });
    expect(plain.json!.notes[0]).toMatch(/Nobody was @-mentioned/);
  });
});

describe('content', () => {
  it('splits long markdown into several messages, numbered, nothing cut', async () => {
    const text = Array.from({ length: 400 }, (_, i) => `Line ${i}: ${'状态良好 '.repeat(4)}`).join('\n\n');
    const result = await f.run(f.tool(toUser(), RICH), { mode: 'markdown', title: 'Daily report', text });
    const sent = f.sim.messages();
    expect(sent.length).toBeGreaterThan(1);
    expect(result.json).toMatchObject({ ok: true, parts: sent.length });
    expect(result.json!.message_ids).toHaveLength(sent.length);
    const params = sent.map((m) => m.content as { title: string; text: string });
    expect(params.map((p) => p.title)).toEqual(params.map((_, i) => `Daily report (${i + 1}/${sent.length})`));
    expect(params.map((p) => p.text).join('')).toBe(text);
    expect(sent.every((m) => m.msgKey === 'sampleMarkdown')).toBe(true);
  });

  it('interactive without a card template: an action card whose action button is a signed dingtalk:card_action link', async () => {
    const result = await f.run(f.tool(toUser(), RICH), {
      mode: 'interactive',
      title: 'Leave request',
      text: 'Bob asks for 2 days off.',
      buttons: [
        { title: 'Approve', action: 'approve', value: 'req-7' },
        { title: 'Details', url: 'https://hr.example.com/req/7' },
      ],
    });
    expect(result.json).toMatchObject({ ok: true, form: 'action_card' });
    const message = f.sim.messages()[0];
    expect(message.msgKey).toBe('sampleActionCard2');
    const param = message.content as Record<string, string>;
    expect(param).toMatchObject({ title: 'Leave request', actionTitle1: 'Approve', actionTitle2: 'Details', actionURL2: 'https://hr.example.com/req/7' });
    const link = new URL(param.actionURL1);
    expect(`${link.origin}${link.pathname}`).toBe(`${PUBLIC_BASE_URL}/api/dingtalk/action`);
    const verified = verifyActionLink(Object.fromEntries(link.searchParams), actionLinkSecret(APP_SECRET), Date.now());
    expect(verified).toMatchObject({ integrationId: INTEGRATION_ID, action: 'dingtalk:card_action', params: { action: 'approve', value: 'req-7' } });
    expect(verified.params!.message_key).toMatch(/^notify:dingtalk_send_rich_notification:[0-9a-f]{40}:p1$/);
  });

  it('interactive with the integration’s card template: a card whose buttons carry action and value for the card callback', async () => {
    const mw = f.middleware({ integrationId: CARD_INTEGRATION_ID, recipient_type: 'chat_id', recipient_id: 'cidOps==' });
    const result = await f.run(f.tool(mw, RICH), { mode: 'interactive', title: 'Incident', text: '**DB down**', buttons: [{ title: 'Ack', action: 'ack', value: 'inc-1' }] });
    expect(result.json).toMatchObject({ ok: true, form: 'card', via: 'card' });
    const body = f.sim.calls({ path: CARD_SEND })[0].body as Record<string, any>;
    expect(body).toMatchObject({ cardTemplateId: 'tpl.notify.interactive', callbackType: 'STREAM', openSpaceId: 'dtv1.card//IM_GROUP.cidOps==', imGroupOpenDeliverModel: { robotCode: CARD_APP.robotCode } });
    expect(body.cardData.cardParamMap).toMatchObject({ title: 'Incident', content: '**DB down**' });
    expect(JSON.parse(body.cardData.cardParamMap.buttons)).toEqual([{ id: 'b1', title: 'Ack', action: 'ack', value: 'inc-1' }]);
  });

  it('rejects more than five buttons with a readable answer', async () => {
    const buttons = Array.from({ length: 6 }, (_, i) => ({ title: `B${i}`, url: 'https://example.com' }));
    const result = await f.run(f.tool(toUser(), RICH), { mode: 'interactive', title: 'x', text: 'y', buttons });
    expect(result.content).toMatch(/at most 5 buttons/);
    expect(f.sim.calls()).toHaveLength(0);
  });
});

describe('templates and redirection', () => {
  it('renders {{state.x.y}} and host-style {{x}} recipients from the agent state', async () => {
    const state = { human: { input: 'hi' }, owner: { id: 'staff-dave' }, escalation: 'staff-erin' };
    await f.run(f.tool(toUser({ recipient_id: '{{state.owner.id}}' }), TEXT), { text: 'one' }, state);
    await f.run(f.tool(toUser({ recipient_id: '{{ escalation }}' }), TEXT), { text: 'two' }, state);
    expect(f.sim.messages().map((m) => m.target.id)).toEqual(['staff-dave', 'staff-erin']);
  });

  it('strict mode refuses a missing variable; without strict the empty recipient is still refused', async () => {
    const strict = await f.run(f.tool(toUser({ recipient_id: '{{owner.id}}', template: { strict: true } }), TEXT), { text: 'x' }, { human: {} });
    expect(strict.content).toMatch(/\{\{owner\.id\}\} is not set in the agent state, and strict templates are on/);
    const lenient = await f.run(f.tool(toUser({ recipient_id: '{{owner.id}}' }), TEXT), { text: 'x' }, { human: {} });
    expect(lenient.content).toMatch(/rendered to nothing/);
    expect(f.sim.calls()).toHaveLength(0);
  });

  it('a recipient argument cannot redirect unless allowToolRecipients is on', async () => {
    const locked = f.tool(toUser(), TEXT);
    expect(Object.keys((locked.schema as any).shape)).not.toContain('recipient_id');
    await f.run(locked, { text: 'x', recipient_type: 'user_id', recipient_id: 'staff-mallory' });
    expect(f.sim.messages()[0].target.id).toBe('staff-bob');

    const open = f.tool(toUser({ allowToolRecipients: true }), TEXT);
    const result = await f.run(open, { text: 'x', recipient_type: 'chat_id', recipient_id: 'cidOther==' });
    expect(result.json!.recipient).toMatchObject({ type: 'chat_id', id: 'cidOther==', source: 'tool argument' });
    expect(f.sim.messages()[1].target).toEqual({ type: 'group', id: 'cidOther==' });
  });
});

describe('idempotency', () => {
  it('a retried tool call (the same task re-run, same tool call id) does not post twice', async () => {
    const tool = f.tool(toUser(), RICH);
    const args = { mode: 'markdown', title: 'Once', text: 'Only once' };
    const retried = await f.run(tool, args, {}, { toolCallId: 'call_retry', threadId: 'thread-r', repeat: 3 });
    expect(retried.json).toMatchObject({ ok: true, duplicate: true });
    expect(f.sim.messages()).toHaveLength(1);
    const rows = await f.db.db.query('SELECT id FROM plugin_dingtalk_outbox');
    expect(rows.map((r) => r.id)).toEqual([retried.json!.message_id]);
    // Another call (or the next turn, a new task) is a new message.
    await f.run(tool, args, {}, { toolCallId: 'call_retry', threadId: 'thread-r' });
    expect(f.sim.messages()).toHaveLength(2);
  });

  it('without a tool call id the tool answers with plain text', async () => {
    const out = await f.tool(toUser(), TEXT).invoke({ text: 'direct' });
    expect(JSON.parse(out as string)).toMatchObject({ ok: true, via: 'openapi' });
  });
});

const APP_ROBOT = 'dingnotifyapp';
const APP_SECRET = 'notify-app-secret-0123456789';
