import { BATCH_SEND, FILE, INTEGRATION_ID, RECALL, RICH, TEXT, UPDATE, useNotifyFixture, type NotifyFixture } from '../notify/notify-fixture';

/**
 * Agents built with the earlier 0.0.9 plugin call the notify tools with its parameter names and
 * configure the middleware with its option shape. The DingTalk calls they cause must be the ones
 * our own names cause.
 */

let f: NotifyFixture;
useNotifyFixture((fixture) => (f = fixture));

// 0.0.9's option shape: hidden integration and recipient, template flags, defaults.timeoutMs.
const legacyOptions = { integrationId: INTEGRATION_ID, recipient_type: 'user_id', recipient_id: 'staff-bob', template: { enabled: true, strict: false }, defaults: { timeoutMs: 8000 } };
const ourOptions = { integrationId: INTEGRATION_ID, recipient_type: 'user_id', recipient_id: 'staff-bob', timeoutMs: 8000 };

/** What DingTalk received, without what differs on every call by design (nothing here does). */
function sentBodies(): unknown[] {
  return f.sim.calls({ path: BATCH_SEND }).map((call) => call.body);
}

async function bodiesOf(options: Record<string, unknown>, tool: string, args: Record<string, unknown>): Promise<{ bodies: unknown[]; result: Awaited<ReturnType<NotifyFixture['run']>> }> {
  await f.reset();
  const result = await f.run(f.tool(f.middleware(options), tool), args);
  return { bodies: sentBodies(), result };
}

describe('0.0.9 tool parameters produce the same DingTalk calls as ours', () => {
  it('dingtalk_send_rich_notification {mode: "markdown", markdown}', async () => {
    const ours = await bodiesOf(ourOptions, RICH, { mode: 'markdown', title: 'Weekly report', text: '## Done\n- shipped the upgrade' });
    const legacy = await bodiesOf(legacyOptions, RICH, { mode: 'markdown', title: 'Weekly report', markdown: '## Done\n- shipped the upgrade', sessionWebhook: 'https://example.com/hook', timeoutMs: 3000 });
    expect(ours.bodies).toHaveLength(1);
    expect((ours.bodies[0] as { msgKey: string }).msgKey).toBe('sampleMarkdown');
    expect(legacy.bodies).toEqual(ours.bodies);
    expect(legacy.result.json).toMatchObject({ ok: true, form: 'markdown' });
    expect(legacy.result.state.dingtalk_notify_last_result).toMatchObject({ ok: true, message_id: legacy.result.json!.message_id });
    expect(legacy.result.state.dingtalk_notify_last_message_ids).toEqual([legacy.result.json!.message_id]);
  });

  it('dingtalk_send_rich_notification {mode: "template", msgKey: "sampleMarkdown", msgParam: JSON text}', async () => {
    const ours = await bodiesOf(ourOptions, RICH, { mode: 'markdown', title: 'Alert', text: '**disk** at 91%' });
    const legacy = await bodiesOf(legacyOptions, RICH, { mode: 'template', msgKey: 'sampleMarkdown', msgParam: JSON.stringify({ title: 'Alert', text: '**disk** at 91%' }) });
    expect(legacy.bodies).toEqual(ours.bodies);
  });

  it('dingtalk_send_rich_notification {mode: "template", msgKey: "sampleText"} sends the text message ours sends', async () => {
    const ours = await bodiesOf(ourOptions, TEXT, { text: 'plain words' });
    const legacy = await bodiesOf(legacyOptions, RICH, { mode: 'template', msgKey: 'sampleText', msgParam: { content: 'plain words' } });
    expect(legacy.bodies).toEqual(ours.bodies);
  });

  it('an unknown msgKey is refused with a readable sentence and nothing is sent', async () => {
    const legacy = await bodiesOf(legacyOptions, RICH, { mode: 'template', msgKey: 'sampleImageMsg', msgParam: {} });
    expect(legacy.bodies).toEqual([]);
    expect(legacy.result.content).toMatch(/msgKey sampleImageMsg is not supported/);
    expect(legacy.result.state.dingtalk_notify_last_result).toMatchObject({ ok: false, error_code: 'notify_argument_invalid' });
  });

  it('dingtalk_send_text_notification {content}', async () => {
    const ours = await bodiesOf(ourOptions, TEXT, { text: 'Build 42 is green' });
    const legacy = await bodiesOf(legacyOptions, TEXT, { content: 'Build 42 is green', timeoutMs: 2000 });
    expect(ours.bodies).toHaveLength(1);
    expect(legacy.bodies).toEqual(ours.bodies);
  });

  it('dingtalk_update_message {messageId, content} and dingtalk_recall_message {messageId, robotCode} act on the message', async () => {
    const mw = f.middleware(legacyOptions);
    const sent = await f.run(f.tool(mw, TEXT), { content: 'first draft' });
    const id = sent.json!.message_id as string;
    const updated = await f.run(f.tool(mw, UPDATE), { messageId: id, mode: 'text', content: 'final text' });
    expect(updated.json).toMatchObject({ ok: true, degraded: true, replaced_message_id: id });
    const bodies = sentBodies();
    expect(JSON.parse((bodies[bodies.length - 1] as { msgParam: string }).msgParam)).toEqual({ content: 'final text' });
    const recalled = await f.run(f.tool(mw, RECALL), { messageId: updated.json!.message_id, robotCode: 'ignored', timeoutMs: 1000 });
    expect(recalled.json).toMatchObject({ ok: true, recalled_message_ids: [updated.json!.message_id] });
  });

  it('dingtalk_update_message without any message id says which parameter to pass', async () => {
    const result = await f.run(f.tool(f.middleware(legacyOptions), UPDATE), { content: 'x' });
    expect(result.content).toMatch(/Pass message_id/);
  });

  it('dingtalk_send_file accepts its parameters; a workspace path alone gets a clear answer, sending nothing', async () => {
    const result = await f.run(f.tool(f.middleware(legacyOptions), FILE), { file: { path: '/workspace/report.pdf', name: 'report.pdf', mimeType: 'application/pdf', size: 1024 }, timeoutMs: 5000 });
    expect(result.status).toBe('error');
    expect(result.content).toMatch(/cannot read "report.pdf".*content_base64/);
    expect(result.state.dingtalk_notify_last_result).toMatchObject({ ok: false, error_code: 'notify_file_content_missing' });
    expect(f.sim.calls()).toEqual([]);
  });
});
