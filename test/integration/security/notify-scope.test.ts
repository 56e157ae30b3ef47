import { INTEGRATION_ID, RECALL, TEXT, UPDATE, useNotifyFixture, type NotifyFixture } from '../notify/notify-fixture';

/**
 * Door: the notify tools a (possibly prompt-injected) model calls. Update and recall reach only
 * messages of the run's own scope — its DingTalk conversation or the configured recipient — unless
 * the builder allowed tool recipients; the ids a model sees are opaque outbox ids.
 */

let f: NotifyFixture;
useNotifyFixture((fixture) => (f = fixture));

const aliceRun = () => ({ human: { dingtalk: f.runContext({ conversationType: 'private', conversationId: 'cidAlice==', senderStaffId: 'staff-alice' }) } });
const bobRun = () => ({ human: { dingtalk: f.runContext({ conversationType: 'private', conversationId: 'cidBob==', senderStaffId: 'staff-bob' }) } });
const outboxRows = async () => Number((await f.db.db.query('SELECT count(*)::int AS n FROM plugin_dingtalk_outbox'))[0].n);

async function bobsMessage(mw = f.middleware({ integrationId: INTEGRATION_ID })) {
  const sent = await f.run(f.tool(mw, TEXT), { text: 'Your salary letter is ready' }, bobRun());
  expect(sent.json?.ok).toBe(true);
  return sent.json!.message_id as string;
}

describe('notify tools stay in their run’s scope', () => {
  it('Alice’s run cannot recall Bob’s message: a readable refusal, no DingTalk call, the message stays', async () => {
    const mw = f.middleware({ integrationId: INTEGRATION_ID });
    const bobs = await bobsMessage(mw);
    f.sim.clearCalls();
    const rowsBefore = await outboxRows();
    const result = await f.run(f.tool(mw, RECALL), { message_id: bobs }, aliceRun());
    expect(result.status).toBe('error');
    expect(result.content).toMatch(/not sent in this conversation/);
    expect(f.sim.calls({ path: /recall/i })).toHaveLength(0);
    expect(f.sim.messages().filter((m) => m.status === 'recalled')).toHaveLength(0);
    expect(await outboxRows()).toBe(rowsBefore);
  });

  it('Alice’s run cannot rewrite Bob’s message (no recall, no resend to Bob)', async () => {
    const mw = f.middleware({ integrationId: INTEGRATION_ID });
    const bobs = await bobsMessage(mw);
    f.sim.clearCalls();
    const messagesBefore = f.sim.messages().length;
    const result = await f.run(f.tool(mw, UPDATE), { message_id: bobs, text: 'Click here to re-enter your password' }, aliceRun());
    expect(result.status).toBe('error');
    expect(f.sim.calls()).toHaveLength(0);
    expect(f.sim.messages()).toHaveLength(messagesBefore);
  });

  it('ids DingTalk or our keys could give away are no handle: only the opaque outbox id works', async () => {
    const mw = f.middleware({ integrationId: INTEGRATION_ID });
    const sent = await f.run(f.tool(mw, TEXT), { text: 'hello' }, aliceRun());
    const [row] = await f.db.db.query('SELECT process_query_key, idempotency_key FROM plugin_dingtalk_outbox WHERE id = $1', [sent.json!.message_id]);
    for (const handle of [row.process_query_key, row.idempotency_key]) {
      const refused = await f.run(f.tool(mw, RECALL), { message_id: handle }, aliceRun());
      expect(refused.content).toMatch(/No message with id/);
    }
    expect(f.sim.calls({ path: /recall/i })).toHaveLength(0);
    const own = await f.run(f.tool(mw, RECALL), { message_id: sent.json!.message_id }, aliceRun());
    expect(own.json).toMatchObject({ ok: true, recalled_message_ids: [sent.json!.message_id] });
  });

  it('the configured recipient is in scope, and allowToolRecipients lifts the limit', async () => {
    const configured = f.middleware({ integrationId: INTEGRATION_ID, recipient_type: 'user_id', recipient_id: 'staff-bob' });
    const toBob = await f.run(f.tool(configured, TEXT), { text: 'build done' });
    expect((await f.run(f.tool(configured, RECALL), { message_id: toBob.json!.message_id })).json).toMatchObject({ ok: true });

    const open = f.middleware({ integrationId: INTEGRATION_ID, allowToolRecipients: true });
    const bobs = await bobsMessage(open);
    expect((await f.run(f.tool(open, RECALL), { message_id: bobs }, aliceRun())).json).toMatchObject({ ok: true, recalled_message_ids: [bobs] });
  });
});
