import { request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { signRobotRequest } from '../../../src/dingtalk/crypto';
import { HTTP_APP } from '../../support/plugin-host';
import { startSecurityStack, type SecurityStack } from './security-stack';

/**
 * Door: the webhook's parser and storage. Text a person really sent is kept (NUL dropped, lone
 * surrogates → U+FFFD), bodies are measured even without content-length, and nothing a caller
 * sends turns into a 5xx — only a database that is really away does, with its cause logged.
 */
let stack: SecurityStack;

beforeAll(async () => {
  stack = await startSecurityStack({ pluginConfig: { worker: { enabled: false } } });
});

afterAll(async () => {
  await stack?.close();
});

const driver = () => stack.http.driver;

/** A signed POST sent chunked (no content-length), as a proxy might forward it. */
function postChunked(body: string): Promise<{ status: number; body: any }> {
  const timestamp = String(Date.now());
  const url = new URL(stack.http.webhookUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', timestamp, sign: signRobotRequest(timestamp, HTTP_APP.clientSecret) } },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    for (let i = 0; i < body.length; i += 8192) req.write(body.slice(i, i + 8192));
    req.end();
  });
}

describe('bad input is never a 5xx', () => {
  it('keeps a message with NUL and lone surrogates in text, msgId and nick: stored cleaned, 200', async () => {
    const msgId = `msg\u0000${randomUUID()}`;
    const message = driver().robotMessage({ conversationType: 'private', text: 'hello\u0000 wor\ud800ld \udc00!', senderStaffId: 'user-nul', senderNick: 'Ni\u0000ck\ud83d', msgId });
    const before = await stack.rows();
    const response = await driver().postRobotMessage(stack.http.webhookUrl, message);
    expect(response.status).toBe(200);
    const after = await stack.rows();
    expect(after.inbox).toBe(before.inbox + 1);
    const [job] = await stack.db.query("SELECT payload FROM plugin_dingtalk_handoff WHERE kind = 'message' ORDER BY seq DESC LIMIT 1");
    const event = (typeof job.payload === 'string' ? JSON.parse(job.payload) : job.payload).event;
    expect(event.text).toBe('hello wor\ufffdld \ufffd!');
    expect(event.senderNick).toBe('Nick\ufffd');
    expect(event.eventId).not.toContain('\u0000');
    // The same delivery again is the same event (the cleaned id is stable): no second row.
    expect((await driver().postRobotMessage(stack.http.webhookUrl, message)).status).toBe(200);
    expect(await stack.rows()).toEqual(after);
  });

  it('a chunked, deeply nested body is 400 and leaves nothing', async () => {
    const before = await stack.rows();
    const deep = `${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`;
    const response = await postChunked(deep);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('dingtalk_payload_too_deep');
    expect(await stack.rows()).toEqual(before);
  });

  it('a chunked body over the limit is 413 although it declares no length', async () => {
    const before = await stack.rows();
    const message = driver().robotMessage({ conversationType: 'private', text: 'x'.repeat(80 * 1024), senderStaffId: 'user-big' });
    const response = await postChunked(JSON.stringify(message));
    expect(response.status).toBe(413);
    expect(await stack.rows()).toEqual(before);
  });

  it('answers 503 only when the database and the spool are both away, and logs the cause with a code', async () => {
    // With the spool on, an outage is acknowledged from the spool (test/integration/intake/spool.test.ts);
    // here there is no spool, so the database being away is the whole story.
    const unspooled = await startSecurityStack({ pluginConfig: { worker: { enabled: false }, spool: { enabled: false } } });
    try {
      await answers503(unspooled);
    } finally {
      await unspooled.close();
    }
  });

  async function answers503(stack: SecurityStack): Promise<void> {
    const driver = () => stack.http.driver;
    const ds = stack.host.hostDataSource;
    await ds.query('ALTER TABLE plugin_dingtalk_inbox RENAME TO plugin_dingtalk_inbox_away');
    try {
      const response = await driver().postRobotMessage(stack.http.webhookUrl, driver().robotMessage({ conversationType: 'private', text: 'hi', senderStaffId: 'user-503' }));
      expect(response.status).toBe(503);
      expect((response.body as any).code).toBe('dingtalk_intake_unavailable');
    } finally {
      await ds.query('ALTER TABLE plugin_dingtalk_inbox_away RENAME TO plugin_dingtalk_inbox');
    }
    expect(stack.logger.text()).toMatch(/webhook rejected .*code=dingtalk_intake_unavailable status=503 cause=\S+\/42P01/);
  }
});
