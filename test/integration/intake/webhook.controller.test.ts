import { randomUUID } from 'node:crypto';
import { createCallbackCipher, signRobotRequest } from '../../../src/dingtalk/crypto';
import { IntakeSpool } from '../../../src/intake/spool-file';
import { CaptureLogger } from '../../support/capture-logger';
import { waitFor } from '../../support/wait-for';
import { intakeCounts } from '../../support/counts';
import { usingServer } from '../../support/database';
import { HTTP_APP, startPluginHost, type PluginHost } from '../../support/plugin-host';

const CARD_SECRET = 'card-callback-secret-0123';
const logger = new CaptureLogger();
let stack: PluginHost;

beforeAll(async () => {
  // The worker is off: these tests count intake's own writes and calls, not the answers that follow.
  stack = await startPluginHost({ httpOptions: { cardCallbackSecret: CARD_SECRET }, logger, withStream: false, pluginConfig: { worker: { enabled: false } } });
});

afterAll(async () => {
  await stack?.close();
});

const counts = () => intakeCounts(stack.host.hostDataSource);

/** Sessions blocked on a lock of the inbox table right now. */
async function waitingOnInbox(): Promise<number> {
  const [row] = await stack.host.hostDataSource.query(
    `SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND relation = 'plugin_dingtalk_inbox'::regclass`,
  );
  return Number(row.n);
}
const driver = () => stack.http.driver;
const privateMessage = (text = 'hello expert') => driver().robotMessage({ conversationType: 'private', text, senderStaffId: 'user001', msgId: `msg-${randomUUID()}` });

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.host.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, body: json, text };
}

/** Runs a request that must be refused and proves it touched nothing (P1). */
async function expectRefused(send: () => Promise<{ status: number; body: any }>, status: number, code?: string) {
  const before = await counts();
  stack.simulator.clearCalls();
  const response = await send();
  expect(response.status).toBe(status);
  if (code) expect(response.body?.code).toBe(code);
  expect(await counts()).toEqual(before);
  expect(stack.simulator.calls()).toHaveLength(0);
}

describe('robot messages in HTTP mode', () => {
  it('stores a signed message once and answers with an empty reply', async () => {
    const before = await counts();
    const response = await driver().postRobotMessage(stack.http.webhookUrl, privateMessage());
    expect(response).toEqual({ status: 200, body: { msgtype: 'empty' } });
    expect(await counts()).toEqual({ inbox: before.inbox + 1, jobs: before.jobs + 1 });
    const [job] = await stack.host.hostDataSource.query("SELECT kind, session_key FROM plugin_dingtalk_handoff ORDER BY seq DESC LIMIT 1");
    expect(job).toEqual({ kind: 'message', session_key: expect.stringContaining(`${stack.http.id}:`) });
  });

  it('acknowledges a redelivered message without a second job (P9)', async () => {
    const message = privateMessage();
    await driver().postRobotMessage(stack.http.webhookUrl, message);
    const before = await counts();
    const again = await driver().postRobotMessage(stack.http.webhookUrl, message);
    expect(again.status).toBe(200);
    expect(await counts()).toEqual(before);
  });

  it('turns 20 overlapping deliveries of one message into exactly one job (P9)', async () => {
    const message = privateMessage();
    const before = await counts();
    const responses = await Promise.all(Array.from({ length: 20 }, () => driver().postRobotMessage(stack.http.webhookUrl, message)));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(await counts()).toEqual({ inbox: before.inbox + 1, jobs: before.jobs + 1 });
  });

  // PGlite serves one connection, so deliveries can only take turns there; the pool races for real.
  (usingServer ? it : it.skip)('turns 20 deliveries racing in the database at once into exactly one job (P9, server only)', async () => {
    const message = privateMessage();
    const before = await counts();
    // Hold the inbox table so every delivery waits inside the database, then let them all go at once.
    const blocker = stack.host.hostDataSource.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query('LOCK TABLE plugin_dingtalk_inbox IN SHARE MODE');
    let answered = 0;
    const deliveries = Promise.all(
      Array.from({ length: 20 }, () => driver().postRobotMessage(stack.http.webhookUrl, message).finally(() => (answered += 1))),
    );
    try {
      // Group commit may join the deliveries into fewer statements: at least one waits in the database.
      await waitFor(async () => (await waitingOnInbox()) >= 1, 'deliveries waiting on the inbox');
      expect(answered).toBe(0);
    } finally {
      await blocker.rollbackTransaction();
      await blocker.release();
    }
    const responses = await deliveries;
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(await counts()).toEqual({ inbox: before.inbox + 1, jobs: before.jobs + 1 });
  });

  it('acknowledges a group message that does not @-mention the bot, and the bot\'s own message, without a job (P6)', async () => {
    const before = await counts();
    const notMentioned = driver().robotMessage({ conversationType: 'group', text: 'chatting among ourselves', senderStaffId: 'user002', atBot: false });
    expect((await driver().postRobotMessage(stack.http.webhookUrl, notMentioned)).status).toBe(200);
    const own = { ...privateMessage('echo'), senderStaffId: HTTP_APP.robotCode };
    expect((await driver().postRobotMessage(stack.http.webhookUrl, own)).status).toBe(200);
    expect(await counts()).toEqual(before);
    const mentioned = driver().robotMessage({ conversationType: 'group', text: '@bot help', senderStaffId: 'user002', atBot: true });
    expect((await driver().postRobotMessage(stack.http.webhookUrl, mentioned)).status).toBe(200);
    expect((await counts()).jobs).toBe(before.jobs + 1);
  });

  it('refuses a forged signature (P1)', async () => {
    await expectRefused(() => driver().postRobotMessage(stack.http.webhookUrl, privateMessage(), { sign: signRobotRequest(String(Date.now()), 'not-the-secret') }), 401, 'dingtalk_signature_invalid');
  });

  it('refuses a request without signature headers (P1)', async () => {
    await expectRefused(() => post(`/api/dingtalk/webhook/${stack.http.id}`, JSON.stringify(privateMessage())), 401, 'dingtalk_signature_missing');
  });

  it('refuses a correctly signed message older than one hour with its own code (P2)', async () => {
    const timestamp = String(Date.now() - 3_600_000 - 60_000);
    await expectRefused(() => driver().postRobotMessage(stack.http.webhookUrl, privateMessage(), { timestamp, sign: signRobotRequest(timestamp, HTTP_APP.clientSecret) }), 401, 'dingtalk_request_stale');
  });

  it('refuses an oversized body with 413 before any work (P5)', async () => {
    const body = { ...privateMessage(), text: { content: 'x'.repeat(70 * 1024) } };
    await expectRefused(() => driver().postRobotMessage(stack.http.webhookUrl, body), 413, 'dingtalk_body_too_large');
  });

  it('refuses malformed JSON and non-object bodies with 400 (P5)', async () => {
    const timestamp = String(Date.now());
    const headers = { timestamp, sign: signRobotRequest(timestamp, HTTP_APP.clientSecret) };
    await expectRefused(() => post(`/api/dingtalk/webhook/${stack.http.id}`, '{"msgtype": "text", ', headers), 400);
    await expectRefused(() => post(`/api/dingtalk/webhook/${stack.http.id}`, '[1,2,3]', headers), 400, 'dingtalk_payload_invalid');
    await expectRefused(() => post(`/api/dingtalk/webhook/${stack.http.id}`, JSON.stringify({ msgtype: 'text' }), headers), 400, 'dingtalk_payload_invalid');
  });
});

describe('encrypted event callbacks', () => {
  const cipher = () => createCallbackCipher({ token: HTTP_APP.callbackToken, aesKey: HTTP_APP.callbackAesKey, ownerKey: HTTP_APP.clientId });
  const eventUrl = (q: Record<string, string>) => `${stack.http.webhookUrl}?${new URLSearchParams(q)}`;

  it('answers check_url with the encrypted success, and stores nothing', async () => {
    const before = await counts();
    const response = await driver().postEvent(stack.http.webhookUrl, { EventType: 'check_url' });
    expect(response.status).toBe(200);
    const reply = response.body as Record<string, string>;
    expect(cipher().decrypt({ signature: reply.msg_signature, timestamp: reply.timeStamp, nonce: reply.nonce, encrypt: reply.encrypt })).toBe('success');
    expect(await counts()).toEqual(before);
  });

  it('stores a platform event once and answers success each time (P9)', async () => {
    const event = { EventType: 'chat_add_member', eventId: `evt-${randomUUID()}`, ChatId: 'chat1', UserId: ['u1'], CorpId: 'dingcorp' };
    const before = await counts();
    expect((await driver().postEvent(stack.http.webhookUrl, event)).status).toBe(200);
    expect((await driver().postEvent(stack.http.webhookUrl, event)).status).toBe(200);
    expect(await counts()).toEqual({ inbox: before.inbox + 1, jobs: before.jobs + 1 });
  });

  it('refuses a forged signature (P1)', async () => {
    await expectRefused(() => driver().postEvent(stack.http.webhookUrl, { EventType: 'chat_add_member', eventId: 'forged' }, { signature: 'a'.repeat(40) }), 401, 'dingtalk_signature_invalid');
  });

  it('refuses an event encrypted for another app (owner key), with the one answer of the event path (P1)', async () => {
    const other = createCallbackCipher({ token: HTTP_APP.callbackToken, aesKey: HTTP_APP.callbackAesKey, ownerKey: 'another-app-key' });
    const signed = other.encrypt(JSON.stringify({ EventType: 'chat_add_member', eventId: 'other' }));
    await expectRefused(() => post(`/api/dingtalk/webhook/${stack.http.id}?${new URLSearchParams({ signature: signed.signature, timestamp: signed.timestamp, nonce: signed.nonce })}`, JSON.stringify({ encrypt: signed.encrypt })), 400, 'dingtalk_event_rejected');
  });

  it.each([
    ['milliseconds', () => String(Date.now() - 2 * 3_600_000)],
    ['seconds', () => String(Math.floor(Date.now() / 1000) - 2 * 3600)],
  ])('refuses a correctly signed event whose timestamp (%s) is stale (P2)', async (_unit, stamp) => {
    const signed = cipher().encrypt(JSON.stringify({ EventType: 'chat_add_member', eventId: `stale-${randomUUID()}` }), { timestamp: stamp() });
    await expectRefused(() => post(`/api/dingtalk/webhook/${stack.http.id}?${new URLSearchParams({ msg_signature: signed.signature, timeStamp: signed.timestamp, nonce: signed.nonce })}`, JSON.stringify({ encrypt: signed.encrypt })), 400, 'dingtalk_event_rejected');
  });

  it('refuses an oversized encrypted body with 413 (P5)', async () => {
    const signed = cipher().encrypt(JSON.stringify({ EventType: 'x', pad: 'y'.repeat(80 * 1024) }));
    await expectRefused(() => post(`/api/dingtalk/webhook/${stack.http.id}?${new URLSearchParams({ signature: signed.signature, timestamp: signed.timestamp, nonce: signed.nonce })}`, JSON.stringify({ encrypt: signed.encrypt })), 413, 'dingtalk_body_too_large');
  });

  it('refuses garbage ciphertext whose signature is right (P5)', async () => {
    const timestamp = String(Date.now());
    const encrypt = 'not base64 at all!!';
    const signature = cipher().sign(timestamp, 'nonce123', encrypt);
    await expectRefused(() => post(eventUrl({ signature, timestamp, nonce: 'nonce123' }).replace(stack.host.url, ''), JSON.stringify({ encrypt })), 400, 'dingtalk_event_rejected');
  });
});

describe('card callbacks in HTTP mode', () => {
  const click = () => ({ outTrackId: `card-${randomUUID()}`, userId: 'user001', params: { action: 'dingtalk:end' } });

  it('stores a signed click once', async () => {
    const input = click();
    const before = await counts();
    expect((await driver().postCardCallback(stack.http.webhookUrl, input)).status).toBe(200);
    expect((await driver().postCardCallback(stack.http.webhookUrl, input)).status).toBe(200);
    expect(await counts()).toEqual({ inbox: before.inbox + 1, jobs: before.jobs + 1 });
  });

  it('refuses a forged and a stale card signature (P1, P2)', async () => {
    await expectRefused(() => driver().postCardCallback(stack.http.webhookUrl, click(), { signature: 'forged' }), 401, 'dingtalk_signature_invalid');
    await expectRefused(() => driver().postCardCallback(stack.http.webhookUrl, click(), { timestamp: String(Date.now() - 2 * 3_600_000) }), 401, 'dingtalk_request_stale');
  });
});

describe('routing of the webhook URL', () => {
  it('answers 404 for an unknown integration, 409 for another provider or a stream-mode integration', async () => {
    await expectRefused(() => driver().postRobotMessage(`${stack.host.url}/api/dingtalk/webhook/${randomUUID()}`, privateMessage()), 404, 'dingtalk_integration_not_found');
    const lark = await stack.host.addIntegration({ provider: 'lark', options: { appId: 'x' } });
    await expectRefused(() => driver().postRobotMessage(`${stack.host.url}/api/dingtalk/webhook/${lark}`, privateMessage()), 409, 'dingtalk_integration_provider_mismatch');
    const streamOnly = await stack.host.addIntegration({ options: { ...HTTP_APP, mode: 'stream' } });
    await expectRefused(() => driver().postRobotMessage(`${stack.host.url}/api/dingtalk/webhook/${streamOnly}`, privateMessage()), 409, 'dingtalk_integration_mode_mismatch');
    await stack.host.removeIntegration(streamOnly);
  });

  it('answers the reachability probe on GET', async () => {
    const response = await fetch(stack.http.webhookUrl);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, provider: 'dingtalk', mode: 'http' });
  });
});

describe('stored before acked (P7)', () => {
  it('answers 200 once the event is spooled when the write fails, and stores it once the database answers', async () => {
    const ds = stack.host.hostDataSource;
    const spool = stack.host.get(IntakeSpool);
    const message = privateMessage();
    const before = await counts();
    await ds.query('ALTER TABLE plugin_dingtalk_handoff RENAME TO plugin_dingtalk_handoff_away');
    try {
      expect(await driver().postRobotMessage(stack.http.webhookUrl, message)).toEqual({ status: 200, body: { msgtype: 'empty' } });
      expect(spool.status().depth).toBe(1);
      expect(await ds.query('SELECT count(*)::int AS n FROM plugin_dingtalk_inbox')).toEqual([{ n: before.inbox }]);
    } finally {
      await ds.query('ALTER TABLE plugin_dingtalk_handoff_away RENAME TO plugin_dingtalk_handoff');
    }
    await waitFor(() => spool.status().depth === 0, 'the spool to drain');
    expect(await counts()).toEqual({ inbox: before.inbox + 1, jobs: before.jobs + 1 });
  });
});

describe('no secrets in logs (P17)', () => {
  it('logs none of the token, AES key, app secret or decrypted text while refusing forged input', async () => {
    const secretText = `top secret question ${randomUUID()}`;
    await driver().postRobotMessage(stack.http.webhookUrl, privateMessage(secretText), { sign: 'forged' });
    await driver().postEvent(stack.http.webhookUrl, { EventType: 'chat_add_member', eventId: secretText }, { signature: 'b'.repeat(40) });
    const timestamp = String(Date.now() - 3 * 3_600_000);
    await driver().postRobotMessage(stack.http.webhookUrl, privateMessage(secretText), { timestamp, sign: signRobotRequest(timestamp, HTTP_APP.clientSecret) });
    await driver().postRobotMessage(stack.http.webhookUrl, privateMessage(secretText));
    const text = logger.text();
    expect(text).toContain('webhook rejected');
    for (const secret of [HTTP_APP.clientSecret, HTTP_APP.callbackToken, HTTP_APP.callbackAesKey, CARD_SECRET, secretText]) {
      expect(text).not.toContain(secret);
    }
  });
});
