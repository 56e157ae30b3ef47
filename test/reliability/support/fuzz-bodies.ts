import { createHash, randomUUID } from 'node:crypto';
import { createCallbackCipher, signCardCallback, signRobotRequest } from '../../../src/dingtalk/crypto';
import type { DingTalkSimulator } from '../../../sandbox/simulator';
import { DingTalkUserDriver } from '../../../sandbox/simulator/user-driver';
import { RELIABILITY_HTTP, RELIABILITY_STREAM } from './integrations';

export interface FuzzCase {
  category: string;
  /** Path and query under the replica's origin. */
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

const OPTIONS = RELIABILITY_HTTP.options;
const HOUR_MS = 3_600_000;
const BODY_LIMIT = 64 * 1024;

/**
 * Bodies no DingTalk would send, every one of them to be refused with a 4xx and to leave no row:
 * truncated and garbage JSON, the robot message with a required field broken, forged, stale and
 * missing signatures, encrypted events whose ciphertext or plaintext is wrong but whose signature is
 * recomputed over it (so only the decrypt and parse checks stand in the way), card callbacks with a
 * wrong signature, oversized bodies, wrong content types, and the wrong or an unknown integration.
 * A case is built only from the seeded random source, so a failing case can be replayed.
 */
export function fuzzCase(random: () => number, simulator: DingTalkSimulator, now: number): FuzzCase {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const driver = new DingTalkUserDriver({ simulator, app: OPTIONS, now: () => now });
  const robot = driver.robotMessage({ conversationType: pick(['private', 'group'] as const), text: 'fuzz', senderStaffId: 'fuzz.user', msgId: `fuzz${randomUUID()}` });
  const robotJson = JSON.stringify(robot);
  const signed = (timestamp = String(now)) => ({ 'content-type': 'application/json', timestamp, sign: signRobotRequest(timestamp, OPTIONS.clientSecret) });
  const webhook = `/api/dingtalk/webhook/${RELIABILITY_HTTP.id}`;
  const json = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  const garbage = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));

  switch (pick(CATEGORIES)) {
    case 'robot-truncated':
      return { category: 'robot-truncated', path: webhook, headers: signed(), body: json(robotJson.slice(0, Math.floor(random() * (robotJson.length - 1)))) };
    case 'robot-garbage':
      return { category: 'robot-garbage', path: webhook, headers: signed(), body: garbage(1 + Math.floor(random() * 2048)) };
    case 'robot-required-field': {
      const field = pick(['msgId', 'conversationId', 'senderId', 'conversationType']);
      const broken: Record<string, unknown> = { ...robot };
      const value = pick([undefined, null, '', '   ', 0, 42, true, [], {}, ['x'], field === 'conversationType' ? '3' : { id: 'x' }]);
      if (value === undefined) delete broken[field];
      else broken[field] = value;
      return { category: 'robot-required-field', path: webhook, headers: signed(), body: json(broken) };
    }
    case 'robot-not-object':
      return { category: 'robot-not-object', path: webhook, headers: signed(), body: json(pick(['[]', '[1,2]', '42', '"text"', 'null', 'true', JSON.stringify([robot])])) };
    case 'robot-bad-signature': {
      const stale = String(now + pick([-1, 1]) * (HOUR_MS + 1000 + Math.floor(random() * 1e7)));
      const headers = pick<Record<string, string>>([
        { 'content-type': 'application/json', timestamp: String(now), sign: signRobotRequest(String(now), 'not-the-secret') },
        { 'content-type': 'application/json', timestamp: String(now), sign: garbage(32).toString('base64') },
        { 'content-type': 'application/json', timestamp: String(now) },
        { 'content-type': 'application/json', sign: signRobotRequest(String(now), OPTIONS.clientSecret) },
        signed(stale),
        signed(pick(['abc', '', '-1', '1e99', `${now}.5`])),
      ]);
      return { category: 'robot-bad-signature', path: webhook, headers, body: json(robot) };
    }
    case 'event-resigned':
      return eventCase(random, pick, webhook, now);
    case 'card-bad-signature': {
      const card = driver.cardCallback({ outTrackId: `fuzz-${randomUUID()}`, userId: 'fuzz.user', params: { action: 'x' } });
      const ts = String(now);
      const headers = pick<Record<string, string>>([
        { 'x-ddpaas-signature-timestamp': ts, 'x-ddpaas-signature': signCardCallback(ts, 'wrong-secret') },
        { 'x-ddpaas-signature-timestamp': String(now - 2 * HOUR_MS), 'x-ddpaas-signature': signCardCallback(String(now - 2 * HOUR_MS), OPTIONS.cardCallbackSecret) },
        {},
        { 'x-ddpaas-signature': 'AAAA' },
      ]);
      return { category: 'card-bad-signature', path: webhook, headers: { 'content-type': 'application/json', ...headers }, body: json(card.body) };
    }
    case 'oversized': {
      const padded = { ...robot, text: { content: 'x'.repeat(BODY_LIMIT + Math.floor(random() * BODY_LIMIT)) } };
      return { category: 'oversized', path: webhook, headers: signed(), body: json(padded) };
    }
    case 'content-type':
      return {
        category: 'content-type',
        path: webhook,
        headers: { ...signed(), 'content-type': pick(['text/plain', 'application/xml', 'application/octet-stream', 'multipart/form-data; boundary=x']) },
        body: pick([json(robot), Buffer.from('<xml><msgId>1</msgId></xml>'), garbage(64)]),
      };
    case 'wrong-integration': {
      const id = pick([randomUUID(), RELIABILITY_STREAM.id, 'not-a-uuid', '%00', 'x'.repeat(300)]);
      return { category: 'wrong-integration', path: `/api/dingtalk/webhook/${encodeURIComponent(id)}`, headers: signed(), body: json(robot) };
    }
  }
  throw new Error('unreachable');
}

const CATEGORIES = [
  'robot-truncated',
  'robot-garbage',
  'robot-required-field',
  'robot-not-object',
  'robot-bad-signature',
  'event-resigned',
  'event-resigned',
  'card-bad-signature',
  'oversized',
  'content-type',
  'wrong-integration',
] as const;

/** Encrypted events whose signature is right for what they carry, but what they carry is wrong. */
function eventCase(random: () => number, pick: <T>(items: readonly T[]) => T, webhook: string, now: number): FuzzCase {
  const token = OPTIONS.callbackToken;
  const cipher = createCallbackCipher({ token, aesKey: OPTIONS.callbackAesKey, ownerKey: OPTIONS.clientId });
  const foreign = createCallbackCipher({ token, aesKey: OPTIONS.callbackAesKey, ownerKey: 'dingsomeotherapp' });
  const timestamp = String(now);
  const nonce = Math.floor(random() * 1e9).toString(36);
  const sign = (encrypt: string, ts = timestamp) => createHash('sha1').update([token, ts, nonce, encrypt].sort().join('')).digest('hex');
  const valid = cipher.encrypt(JSON.stringify({ EventType: 'chat_add_member', eventId: randomUUID() })).encrypt;
  const raw = Buffer.from(valid, 'base64');
  const encrypt = pick([
    () => cipher.encrypt(pick(['not json', '', '[]', '42', '{"EventType":7}', '{"eventId":"x"}', '{"EventType":""}', '{'])).encrypt,
    () => foreign.encrypt(JSON.stringify({ EventType: 'chat_add_member' })).encrypt,
    () => raw.subarray(0, 16 * (1 + Math.floor(random() * (raw.length / 16 - 1)))).toString('base64'),
    () => raw.subarray(0, raw.length - 1 - Math.floor(random() * 15)).toString('base64'),
    () => Buffer.from(Array.from({ length: 32 * (1 + Math.floor(random() * 8)) }, () => Math.floor(random() * 256))).toString('base64'),
    () => '!!not base64!!',
  ])();
  const stale = random() < 0.15;
  const ts = stale ? String(now - 2 * HOUR_MS) : timestamp;
  const query = new URLSearchParams({ signature: sign(stale ? valid : encrypt, ts), timestamp: ts, nonce });
  const body = JSON.stringify({ encrypt: stale ? valid : encrypt });
  return { category: 'event-resigned', path: `${webhook}?${query.toString()}`, headers: { 'content-type': 'application/json' }, body: Buffer.from(body) };
}
