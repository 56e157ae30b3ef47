import { BATCH_SEND, FILE, GROUP_SEND, INTEGRATION_ID, UPLOAD, useNotifyFixture, type NotifyFixture } from './notify-fixture';

let f: NotifyFixture;
useNotifyFixture((fixture) => (f = fixture));

const toUser = () => f.middleware({ integrationId: INTEGRATION_ID, recipient_type: 'user_id', recipient_id: 'staff-bob' });
const pdf = Buffer.from('%PDF-1.4 quarterly report');

describe('dingtalk_send_file', () => {
  it('uploads the bytes and sends a file message to the configured user', async () => {
    const result = await f.run(f.tool(toUser(), FILE), { file: { fileName: 'report.pdf', content_base64: pdf.toString('base64') } });
    expect(result.json).toMatchObject({ ok: true, form: 'file', file_name: 'report.pdf', bytes: pdf.length, recipient: { type: 'user_id', id: 'staff-bob' } });
    const [upload] = f.sim.calls({ path: UPLOAD });
    expect(upload.query).toMatchObject({ type: 'file' });
    const [send] = f.sim.calls({ path: BATCH_SEND });
    expect(send.body).toMatchObject({ userIds: ['staff-bob'], msgKey: 'sampleFile' });
    const param = JSON.parse((send.body as { msgParam: string }).msgParam) as { mediaId: string; fileName: string; fileType: string };
    expect(param).toMatchObject({ fileName: 'report.pdf', fileType: 'pdf' });
    // The message names the media the simulator stored, holding exactly the bytes sent.
    expect(f.sim.files.get(param.mediaId)?.bytes.equals(pdf)).toBe(true);
  });

  it('an image goes to the originating group as an image message', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const state = { human: { dingtalk: f.runContext() } };
    const result = await f.run(f.tool(toUser(), FILE), { fileName: 'chart', mimeType: 'image/png', content_base64: png.toString('base64') }, state);
    expect(result.json).toMatchObject({ ok: true, form: 'image', file_name: 'chart.png', recipient: { type: 'chat_id', id: 'cidGroupOne==' } });
    expect(f.sim.calls({ path: UPLOAD })[0].query).toMatchObject({ type: 'image' });
    const [send] = f.sim.calls({ path: GROUP_SEND });
    expect(send.body).toMatchObject({ openConversationId: 'cidGroupOne==', msgKey: 'sampleImageMsg' });
    expect(f.sim.files.get(JSON.parse((send.body as { msgParam: string }).msgParam).photoURL)?.bytes.equals(png)).toBe(true);
  });

  it('a retried tool call (the same task re-run) uploads and sends once (outbox idempotency)', async () => {
    const args = { fileName: 'report.pdf', content_base64: pdf.toString('base64') };
    const retried = await f.run(f.tool(toUser(), FILE), args, {}, { toolCallId: 'call-file-1', threadId: 'thread-file-1', repeat: 3 });
    expect(retried.json).toMatchObject({ ok: true, duplicate: true });
    expect(f.sim.calls({ path: UPLOAD })).toHaveLength(1);
    expect(f.sim.calls({ path: BATCH_SEND })).toHaveLength(1);
    expect(f.sim.messages()).toHaveLength(1);
  });

  it('type and size limits give a clear coded error before anything is uploaded', async () => {
    const exe = await f.run(f.tool(toUser(), FILE), { fileName: 'setup.exe', content_base64: Buffer.from('MZ').toString('base64') });
    expect(exe.status).toBe('error');
    expect(exe.state.dingtalk_notify_last_result).toMatchObject({ ok: false, error_code: 'notify_file_type_unsupported' });
    expect(exe.content).toMatch(/cannot send \.exe files/);
    const big = await f.run(f.tool(toUser(), FILE), { fileName: 'huge.zip', content_base64: Buffer.alloc(20 * 1024 * 1024 + 1).toString('base64') });
    expect(big.state.dingtalk_notify_last_result).toMatchObject({ ok: false, error_code: 'notify_file_too_large' });
    expect(big.content).toMatch(/at most 20 MB/);
    const none = await f.run(f.tool(toUser(), FILE), { fileName: 'report.pdf' });
    expect(none.state.dingtalk_notify_last_result).toMatchObject({ ok: false, error_code: 'notify_file_content_missing' });
    expect(f.sim.calls()).toEqual([]);
  });
});
