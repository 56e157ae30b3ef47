import { INTEGRATION_ID, RECALL, RICH, TEXT, UPDATE, useNotifyFixture, type NotifyFixture } from './notify-fixture';

const DAY_MS = 24 * 60 * 60 * 1000;

let f: NotifyFixture;
useNotifyFixture((fixture) => (f = fixture));

const toUser = () => f.middleware({ integrationId: INTEGRATION_ID, recipient_type: 'user_id', recipient_id: 'staff-bob' });
const toGroup = () => f.middleware({ integrationId: INTEGRATION_ID, recipient_type: 'chat_id', recipient_id: 'cidOps==' });

describe('dingtalk_update_message', () => {
  it('updates a card in place (PUT /v1.0/card/instances, by key)', async () => {
    const mw = toGroup();
    const sent = await f.run(f.tool(mw, RICH), { mode: 'template', cardTemplateId: 'tpl.progress', cardData: { step: 'build', percent: 10 } });
    const result = await f.run(f.tool(mw, UPDATE), { message_id: sent.json!.message_id, cardData: { percent: 80 } });
    expect(result.json).toEqual({ ok: true, message_id: sent.json!.message_id, updated: 'in_place' });
    const [put] = f.sim.calls({ path: '/v1.0/card/instances', method: 'PUT' });
    expect(put.body).toMatchObject({ cardData: { cardParamMap: { percent: '80' } }, cardUpdateOptions: { updateCardDataByKey: true } });
    const [card] = f.sim.messages();
    expect(card).toMatchObject({ kind: 'card', status: 'updated', content: { cardParamMap: { step: 'build', percent: '80' } } });
    expect(f.sim.messages()).toHaveLength(1);
  });

  it('a plain message cannot be edited: recall + send again, degraded with the new message id', async () => {
    const mw = toGroup();
    const sent = await f.run(f.tool(mw, RICH), { mode: 'markdown', title: 'ETA', text: 'Ready at 3 pm' });
    const result = await f.run(f.tool(mw, UPDATE), { message_id: sent.json!.message_id, text: 'Ready at 5 pm' });
    expect(result.json).toMatchObject({ ok: true, degraded: true, replaced_message_id: sent.json!.message_id, old_message_recalled: true });
    expect(result.json!.message_id).not.toBe(sent.json!.message_id);
    expect(result.state.dingtalk_notify_last_message_ids).toEqual([result.json!.message_id]);
    const [old, fresh] = f.sim.messages();
    expect(old.status).toBe('recalled');
    expect(fresh).toMatchObject({ status: 'sent', msgKey: 'sampleMarkdown', target: { type: 'group', id: 'cidOps==' }, content: { title: 'ETA', text: 'Ready at 5 pm' } });
    expect(f.sim.calls({ path: '/v1.0/robot/groupMessages/recall' })[0].body).toMatchObject({ openConversationId: 'cidOps==' });

    // The replacement can itself be recalled by its new id.
    const recalled = await f.run(f.tool(mw, RECALL), { message_id: result.json!.message_id });
    expect(recalled.json).toMatchObject({ ok: true, recalled_message_ids: [result.json!.message_id] });
  });

  it('an unknown message id gets a readable answer', async () => {
    const result = await f.run(f.tool(toUser(), UPDATE), { message_id: 'nope', text: 'x' });
    expect(result.content).toMatch(/No message with id "nope" was sent through this DingTalk integration/);
    expect(result.status).toBe('error');
  });
});

describe('dingtalk_recall_message', () => {
  it('recalls a 1:1 message (otoMessages/batchRecall)', async () => {
    const sent = await f.run(f.tool(toUser(), TEXT), { text: 'oops' });
    const result = await f.run(f.tool(toUser(), RECALL), { message_id: sent.json!.message_id });
    expect(result.json).toEqual({ ok: true, recalled_message_ids: [sent.json!.message_id] });
    const [call] = f.sim.calls({ path: '/v1.0/robot/otoMessages/batchRecall' });
    expect(call.body).toMatchObject({ robotCode: 'dingnotifyapp', processQueryKeys: [f.sim.messages()[0].processQueryKey] });
    expect(f.sim.messages()[0].status).toBe('recalled');
    const rows = await f.db.db.query<{ status: string }>('SELECT status FROM plugin_dingtalk_outbox');
    expect(rows.map((r) => r.status)).toEqual(['recalled']);
  });

  it('recalls every part of a long group message (groupMessages/recall)', async () => {
    const text = Array.from({ length: 300 }, (_, i) => `Paragraph ${i} ${'x'.repeat(40)}`).join('\n\n');
    const sent = await f.run(f.tool(toGroup(), RICH), { mode: 'markdown', title: 'Long', text });
    expect(sent.json!.message_ids.length).toBeGreaterThan(1);
    const result = await f.run(f.tool(toGroup(), RECALL), { message_id: sent.json!.message_ids[1] });
    expect(result.json!.recalled_message_ids).toEqual(sent.json!.message_ids);
    expect(f.sim.messages().every((m) => m.status === 'recalled')).toBe(true);
    expect(f.sim.calls({ path: '/v1.0/robot/groupMessages/recall' })[0].body).toMatchObject({ openConversationId: 'cidOps==' });
  });

  it('after 24 hours a 1:1 message cannot be recalled: a readable answer, not a stack trace', async () => {
    const sent = await f.run(f.tool(toUser(), TEXT), { text: 'old news' });
    f.sim.advanceTime(DAY_MS + 60_000);
    try {
      const result = await f.run(f.tool(toUser(), RECALL), { message_id: sent.json!.message_id });
      expect(result.json).toBeUndefined();
      expect(result.content).toMatch(/only lets a bot recall a 1:1 message within 24 hours/);
      expect(result.content).not.toMatch(/at .*\.ts:\d+/);
      expect(result.state.dingtalk_notify_last_result).toMatchObject({ ok: false, error_code: 'notify_recall_failed' });
      expect(f.sim.messages()[0].status).toBe('sent');
    } finally {
      f.sim.advanceTime(-(DAY_MS + 60_000));
    }
  });

  it('a reply posted through the group’s reply webhook is reported as not recallable', async () => {
    const session = f.sim.sessions.create({ clientId: 'dingnotifyapp', robotCode: 'dingnotifyapp', conversationId: 'cidGroupOne==', conversationType: '2', senderStaffId: 'staff-alice' });
    const state = { human: { dingtalk: f.runContext({ sessionWebhook: session.url, sessionWebhookExpiresAt: session.expiresAt }) } };
    const sent = await f.run(f.tool(toUser(), TEXT), { text: 'hey', at_user_ids: ['staff-alice'] }, state);
    const result = await f.run(f.tool(toUser(), RECALL), { message_id: sent.json!.message_id }, state);
    expect(result.content).toMatch(/reply webhook, and DingTalk offers no recall/);
  });
});
