import { createCallbackCipher } from '../../../src/dingtalk/crypto';
import { HTTP_APP } from '../../support/plugin-host';
import { startSecurityStack, type SecurityStack } from './security-stack';

/**
 * Door: encrypted event callbacks. Past a valid signature, every reason an event cannot be taken
 * (padding, length, owner key, clock) gets the same code and message, so the answers tell an
 * attacker nothing about the ciphertext; the reason goes to debug logs only.
 */
let stack: SecurityStack;

beforeAll(async () => {
  stack = await startSecurityStack({ pluginConfig: { worker: { enabled: false } } });
});

afterAll(async () => {
  await stack?.close();
});

const cipher = (ownerKey = HTTP_APP.clientId) => createCallbackCipher({ token: HTTP_APP.callbackToken, aesKey: HTTP_APP.callbackAesKey, ownerKey });
const event = JSON.stringify({ EventType: 'chat_add_member', eventId: 'evt-oracle', ChatId: 'c', UserId: ['u'] });

async function postSigned(encrypt: string, timestamp = String(Date.now()), nonce = 'nonce123') {
  const signature = cipher().sign(timestamp, nonce, encrypt);
  const url = `${stack.http.webhookUrl}?${new URLSearchParams({ signature, timestamp, nonce })}`;
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ encrypt }) });
  return { status: response.status, body: (await response.json()) as { code: string; message: string; details?: unknown } };
}

function tamper(encrypt: string, edit: (bytes: Buffer) => Buffer): string {
  return edit(Buffer.from(encrypt, 'base64')).toString('base64');
}

describe('no oracle on the event path', () => {
  it('answers bad padding, bad length, another owner key and a stale clock alike', async () => {
    const good = cipher().encrypt(event).encrypt;
    const badPadding = tamper(good, (b) => {
      const copy = Buffer.from(b);
      copy[copy.length - 20] ^= 0xff;
      return copy;
    });
    const badLength = tamper(good, (b) => b.subarray(0, b.length - 5));
    const otherOwner = cipher('another-app').encrypt(event).encrypt;
    const stale = String(Date.now() - 3 * 3_600_000);
    const before = await stack.rows();
    const answers = [await postSigned(badPadding), await postSigned(badLength), await postSigned(otherOwner), await postSigned(good, stale)];
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.body.details).toBeUndefined();
    }
    expect(new Set(answers.map((a) => `${a.body.code}|${a.body.message}`)).size).toBe(1);
    expect(answers[0].body.code).toBe('dingtalk_event_rejected');
    expect(await stack.rows()).toEqual(before);
    const reasons = stack.logger.lines.filter((line) => line.includes('event rejected detail='));
    expect(reasons.every((line) => line.startsWith('debug '))).toBe(true);
  });
});
