import { createCipheriv, createDecipheriv } from 'node:crypto';
import fc from 'fast-check';
import { DingTalkError } from '../../../src/kernel/errors';
import {
  callbackSignature,
  checkCardCallback,
  checkRobotRequest,
  checkTimestampFresh,
  createCallbackCipher,
  isTimestampFresh,
  safeEqual,
  signCardCallback,
  signRobotRequest,
  verifyCardCallback,
  verifyRobotRequest,
} from '../../../src/dingtalk/crypto';

const TOKEN = 'xpert-test-token';
const AES_KEY = 'XpertDingTalkTestAesKey0123456789abcdefghik';
const OWNER_KEY = 'dingxxxxxxxx-app-key';
const KEY_HEX = '5e97abb438a78136a59137acb407ac29ecb4d76df8e7aefcf5a6dc75e7e08629';

const A1 = {
  timestamp: '1700000000000',
  nonce: 'nEXhMP4r',
  random: Buffer.from('0123456789abcdef', 'ascii'),
  plaintext: '{"EventType":"check_url"}',
  encrypt:
    'k1GTaPghVF1ORtycrdUvSkGhOBj7XrAyrhVZTQ/zYA8XQMaFe8UXpgGa+y1jp5iryyLZPdatRnzNbiU8jsaBg30Qpsaugu349BYc0JU8WyyduKxPbax4bqc1usQHDz/F',
  signature: '69d240a258efb5dbfd53ece0f5e91fbe4982c405',
};

const A2 = {
  timestamp: '1700000000001',
  nonce: 'q1w2e3r4',
  random: Buffer.from('ABCDEFGHIJKLMNOP', 'ascii'),
  plaintext:
    '{"EventType":"chat_add_member","TimeStamp":1700000000000,"ChatId":"chat123","OpenConversationId":"cidTEST==","UserId":["user1"],"Operator":"manager1","CorpId":"dingcorp0001","Note":"测试"}',
  encrypt:
    'mjBYmP+qahBNiJOTkVOLuFI2n1Q8FKYGLS46Z7E7toxlBRcsD4pPl5J264/i7orSZ45hY4o+SGAXI3NQvvIyHdwWHM9RNOnYcX9sUAGb9JCkRxUKkz2N4oQKE9X/ICnC9xpXv3Kb2QRZOJNkV5DjZ1ht4LATe2M+dYVXJkx4csD4xucvYeLVftX6RZK77MDqOMwVgqNSsjE8aHsa8h3YU36ATpt4Vzu8/5EPDsFy+tfP6E8fVAEWnNldkLq1gNByDTsqwjv1+ReVuoOnxjWi8kFw9iiLrpswyiVcldbtSRujGV7ycsjb6yDfcllaGhO+LnW14rak3voOGh8nVF8KSQ==',
  signature: '83b0cac78058ab019d2d4bb3a89a139cb6fe306c',
};

const cipher = createCallbackCipher({ token: TOKEN, aesKey: AES_KEY, ownerKey: OWNER_KEY });

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof DingTalkError) return error.code;
    throw error;
  }
  throw new Error('expected a DingTalkError');
}

function errorOf(fn: () => unknown): DingTalkError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DingTalkError) return error;
    throw error;
  }
  throw new Error('expected a DingTalkError');
}

/** Encrypts an arbitrary (already framed) buffer with the test key, no padding added. */
function rawEncrypt(buffer: Buffer): string {
  const key = Buffer.from(KEY_HEX, 'hex');
  const aes = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  aes.setAutoPadding(false);
  return Buffer.concat([aes.update(buffer), aes.final()]).toString('base64');
}

function rawDecrypt(encrypt: string): Buffer {
  const key = Buffer.from(KEY_HEX, 'hex');
  const aes = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  aes.setAutoPadding(false);
  return Buffer.concat([aes.update(Buffer.from(encrypt, 'base64')), aes.final()]);
}

function signed(encrypt: string, timestamp = '1700000000000', nonce = 'nonce123') {
  return { signature: callbackSignature(TOKEN, timestamp, nonce, encrypt), timestamp, nonce, encrypt };
}

function frame(message: Buffer, owner = OWNER_KEY, declaredLength = message.length): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(declaredLength, 0);
  return Buffer.concat([Buffer.alloc(16, 7), length, message, Buffer.from(owner, 'utf8')]);
}

describe('callback cipher — Appendix A vectors', () => {
  it('A1: encrypts check_url byte for byte and signs it', () => {
    const out = cipher.encrypt(A1.plaintext, { timestamp: A1.timestamp, nonce: A1.nonce, random: A1.random });
    expect(out).toEqual({ signature: A1.signature, timestamp: A1.timestamp, nonce: A1.nonce, encrypt: A1.encrypt });
    expect(Buffer.from(A1.encrypt, 'base64')).toHaveLength(96);
  });

  it('A1: decrypts the vector', () => {
    const { signature, timestamp, nonce, encrypt } = A1;
    expect(cipher.decrypt({ signature, timestamp, nonce, encrypt })).toBe(A1.plaintext);
  });

  it('A2: frames the UTF-8 byte length (190), not the character count', () => {
    expect(A2.plaintext.length).toBe(186);
    const out = cipher.encrypt(A2.plaintext, { timestamp: A2.timestamp, nonce: A2.nonce, random: A2.random });
    expect(out.encrypt).toBe(A2.encrypt);
    expect(out.signature).toBe(A2.signature);
    expect(rawDecrypt(A2.encrypt).readUInt32BE(16)).toBe(190);
  });

  it('A2: decrypts the vector', () => {
    const { signature, timestamp, nonce, encrypt } = A2;
    expect(cipher.decrypt({ signature, timestamp, nonce, encrypt })).toBe(A2.plaintext);
  });

  it('A3: builds the exact encrypted success response', () => {
    const reply = cipher.encryptReply('success', {
      timestamp: '1700000000500',
      nonce: 'Xy9kLm3nPq7rSt2u',
      random: Buffer.from('fedcba9876543210', 'ascii'),
    });
    expect(JSON.stringify(reply)).toBe(
      '{"msg_signature":"6ae9b9e13e934f8994e3b7820978a89ae03c1915","timeStamp":"1700000000500","nonce":"Xy9kLm3nPq7rSt2u","encrypt":"Ebp8GqR2J6HM0PrWHfG2PjkhxUM4xQMHsRoXNswIJ9VmHKVsCjyOCY0ldtHAbghcuDU86OSi/+Aejz56t3lXHA=="}',
    );
  });

  it('A3: the reply decrypts back to success under its own signature', () => {
    const reply = cipher.encryptReply('success');
    const back = cipher.decrypt({
      signature: reply.msg_signature,
      timestamp: reply.timeStamp,
      nonce: reply.nonce,
      encrypt: reply.encrypt,
    });
    expect(back).toBe('success');
  });

  it('A4: robot header sign, project vector and the doc sample', () => {
    expect(signRobotRequest('1700000000000', 'xpert-test-app-secret')).toBe('tP45YPq3rFVvem9+JBI264smrO+3F8HjlzBJKwvtla4=');
    expect(signRobotRequest('1577262236757', 'this is a secret')).toBe('DJrE6qdyVGCQz9z5r2MDuNcNAhwYnuAkyj13cx169CA=');
  });

  it('A5: card callback signature', () => {
    expect(signCardCallback('1700000000000', 'xpert-card-secret')).toBe('AEege7H8gZPwa1JuoOHaN+9pXqtt3uYMm1L/DP3/ndE=');
  });
});

describe('callback cipher — defaults', () => {
  it('uses crypto-random prefixes and nonces and the injected clock', () => {
    const clocked = createCallbackCipher({ token: TOKEN, aesKey: AES_KEY, ownerKey: OWNER_KEY, now: () => 1234 });
    const first = clocked.encrypt('same');
    const second = clocked.encrypt('same');
    expect(first.encrypt).not.toBe(second.encrypt);
    expect(first.nonce).not.toBe(second.nonce);
    expect(first.nonce).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(first.timestamp).toBe('1234');
    expect(clocked.encryptReply('success').timeStamp).toBe('1234');
  });

  it('rejects a random prefix that is not 16 bytes', () => {
    expect(codeOf(() => cipher.encryptMessage('x', Buffer.alloc(15)))).toBe('dingtalk_encrypt_failed');
  });
});

describe('callback cipher — rejections', () => {
  const valid = { signature: A1.signature, timestamp: A1.timestamp, nonce: A1.nonce, encrypt: A1.encrypt };

  it('wrong signature → dingtalk_signature_invalid (401), before any decrypt work', () => {
    const error = errorOf(() => cipher.decrypt({ ...valid, signature: '0'.repeat(40) }));
    expect(error.code).toBe('dingtalk_signature_invalid');
    expect(error.httpStatus).toBe(401);
    // A garbage body with a wrong signature must fail on the signature, not on base64.
    expect(codeOf(() => cipher.decrypt({ ...valid, encrypt: '!!not base64!!' }))).toBe('dingtalk_signature_invalid');
  });

  it('signature of another length, or missing, is rejected without throwing anything else', () => {
    expect(codeOf(() => cipher.decrypt({ ...valid, signature: 'abc' }))).toBe('dingtalk_signature_invalid');
    expect(codeOf(() => cipher.decrypt({ ...valid, signature: undefined as unknown as string }))).toBe(
      'dingtalk_signature_invalid',
    );
    expect(codeOf(() => cipher.decrypt({ ...valid, timestamp: '1700000000001' }))).toBe('dingtalk_signature_invalid');
    expect(codeOf(() => cipher.decrypt(null as unknown as typeof valid))).toBe('dingtalk_signature_invalid');
  });

  it('wrong owner key → dingtalk_owner_key_mismatch (401)', () => {
    const other = createCallbackCipher({ token: TOKEN, aesKey: AES_KEY, ownerKey: 'dingyyyyyyyy-app-key' });
    const error = errorOf(() => other.decrypt(valid));
    expect(error.code).toBe('dingtalk_owner_key_mismatch');
    expect(error.httpStatus).toBe(401);
  });

  it('bad padding → dingtalk_decrypt_failed (400)', () => {
    const framed = frame(Buffer.from('{"EventType":"check_url"}'));
    expect(framed).toHaveLength(65);
    const padded = Buffer.concat([framed, Buffer.alloc(31, 31)]);
    const cases = {
      zero: Buffer.concat([padded.subarray(0, 95), Buffer.from([0])]),
      tooLarge: Buffer.concat([padded.subarray(0, 95), Buffer.from([33])]),
      inconsistent: Buffer.from(padded).fill(30, 70, 71),
    };
    for (const bad of Object.values(cases)) {
      const error = errorOf(() => cipher.decrypt(signed(rawEncrypt(bad))));
      expect(error.code).toBe('dingtalk_decrypt_failed');
      expect(error.httpStatus).toBe(400);
      expect(error.details).toEqual({ reason: 'invalid padding' });
    }
    // The same frame with consistent padding decrypts: the failures above are about padding only.
    expect(cipher.decrypt(signed(rawEncrypt(padded)))).toBe('{"EventType":"check_url"}');
  });

  it('truncated ciphertext → dingtalk_decrypt_failed', () => {
    const bytes = Buffer.from(A1.encrypt, 'base64');
    const notBlockAligned = bytes.subarray(0, bytes.length - 5).toString('base64');
    expect(errorOf(() => cipher.decrypt(signed(notBlockAligned))).details).toEqual({
      reason: 'ciphertext length is not a multiple of 16',
    });
    const lastBlockGone = bytes.subarray(0, bytes.length - 16).toString('base64');
    expect(codeOf(() => cipher.decrypt(signed(lastBlockGone)))).toBe('dingtalk_decrypt_failed');
  });

  it('non-base64 ciphertext and an empty body are rejected with their codes', () => {
    expect(codeOf(() => cipher.decrypt(signed('k1GT*aPg')))).toBe('dingtalk_decrypt_failed');
    expect(codeOf(() => cipher.decrypt(signed('')))).toBe('dingtalk_payload_invalid');
  });

  it('a declared length beyond the plaintext → dingtalk_decrypt_failed', () => {
    const framed = frame(Buffer.from('hello'), OWNER_KEY, 10_000);
    const padded = Buffer.concat([framed, Buffer.alloc(32 - (framed.length % 32), 32 - (framed.length % 32))]);
    expect(errorOf(() => cipher.decrypt(signed(rawEncrypt(padded)))).details).toEqual({
      reason: 'message length out of bounds',
    });
  });

  it('a wrong AES key with the right token fails as a decrypt or owner-key error, never a crash', () => {
    const other = createCallbackCipher({ token: TOKEN, aesKey: 'A'.repeat(43), ownerKey: OWNER_KEY });
    expect(['dingtalk_decrypt_failed', 'dingtalk_owner_key_mismatch']).toContain(codeOf(() => other.decrypt(valid)));
  });

  it('rejects bad configuration with field-naming codes', () => {
    const make = (over: Partial<{ token: string; aesKey: string; ownerKey: string }>) => () =>
      createCallbackCipher({ token: TOKEN, aesKey: AES_KEY, ownerKey: OWNER_KEY, ...over });
    expect(codeOf(make({ aesKey: AES_KEY.slice(0, 42) }))).toBe('dingtalk_aes_key_invalid');
    expect(codeOf(make({ aesKey: `${AES_KEY}a` }))).toBe('dingtalk_aes_key_invalid');
    expect(codeOf(make({ aesKey: `${AES_KEY.slice(0, 42)}+` }))).toBe('dingtalk_aes_key_invalid');
    expect(codeOf(make({ token: '' }))).toBe('dingtalk_callback_token_missing');
    expect(codeOf(make({ ownerKey: '' }))).toBe('dingtalk_owner_key_missing');
    expect(errorOf(make({ aesKey: 'short' })).message).toContain('callbackAesKey');
  });

  it('accepts the doc test key whose last character has non-zero trailing bits', () => {
    const docKey = createCallbackCipher({ token: 't', aesKey: '1234567890123456789012345678901234567890123', ownerKey: 'o' });
    const sent = docKey.encrypt('{"EventType":"check_url"}');
    expect(docKey.decrypt(sent)).toBe('{"EventType":"check_url"}');
  });
});

describe('callback cipher — round trip property', () => {
  const byteLength = (s: string) => Buffer.byteLength(s, 'utf8');

  it('round-trips random UTF-8 strings up to 4096 bytes', () => {
    const text = fc
      .string({ unit: 'binary', maxLength: 1024 })
      .filter((s) => byteLength(s) <= 4096);
    fc.assert(
      fc.property(text, fc.uint8Array({ minLength: 16, maxLength: 16 }), (message, random) => {
        const sent = cipher.encrypt(message, { random });
        const framedLength = 16 + 4 + byteLength(message) + OWNER_KEY.length;
        expect(Buffer.from(sent.encrypt, 'base64').length).toBe(framedLength + 32 - (framedLength % 32));
        expect(cipher.decrypt(sent)).toBe(message);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips messages whose byte lengths sit on every padding edge', () => {
    // OWNER_KEY is 20 bytes, so the frame is 40 + n bytes: n ≡ 24 (mod 32) fills whole blocks.
    const lengths = [0, 1, 23, 24, 25, 31, 32, 33, 56, 64, 88, 96, 4064, 4072, 4095, 4096];
    for (const n of lengths) {
      for (const unit of ['a', 'é', '中', '😀']) {
        const unitBytes = byteLength(unit);
        const message = unit.repeat(Math.floor(n / unitBytes)) + 'x'.repeat(n % unitBytes);
        expect(byteLength(message)).toBe(n);
        const sent = cipher.encrypt(message);
        if ((40 + n) % 32 === 0) expect(Buffer.from(sent.encrypt, 'base64').length).toBe(40 + n + 32);
        expect(cipher.decrypt(sent)).toBe(message);
      }
    }
  });
});

describe('robot request signature and window', () => {
  const appSecret = 'xpert-test-app-secret';
  const timestamp = '1700000000000';
  const sign = 'tP45YPq3rFVvem9+JBI264smrO+3F8HjlzBJKwvtla4=';
  const at = (now: number) => ({ timestamp, sign, appSecret, now: () => now });
  const t = Number(timestamp);

  it('accepts exactly ±1 h and rejects one millisecond beyond, on both sides', () => {
    expect(verifyRobotRequest(at(t))).toBe(true);
    expect(verifyRobotRequest(at(t + 3_600_000))).toBe(true);
    expect(verifyRobotRequest(at(t - 3_600_000))).toBe(true);
    expect(verifyRobotRequest(at(t + 3_600_001))).toBe(false);
    expect(verifyRobotRequest(at(t - 3_600_001))).toBe(false);
    expect(verifyRobotRequest({ timestamp, sign, appSecret, now: t + 3_600_001 })).toBe(false);
  });

  it('distinguishes a stale request from a bad signature', () => {
    expect(codeOf(() => checkRobotRequest(at(t + 3_600_001)))).toBe('dingtalk_request_stale');
    const error = errorOf(() => checkRobotRequest({ ...at(t), sign: sign.replace('t', 'u') }));
    expect(error.code).toBe('dingtalk_signature_invalid');
    expect(error.httpStatus).toBe(401);
  });

  it('rejects wrong, short, missing signs and non-numeric timestamps without throwing', () => {
    expect(verifyRobotRequest({ ...at(t), sign: 'short' })).toBe(false);
    expect(verifyRobotRequest({ ...at(t), sign: undefined })).toBe(false);
    expect(verifyRobotRequest({ ...at(t), appSecret: 'other-secret' })).toBe(false);
    const bogus = 'soon';
    expect(verifyRobotRequest({ timestamp: bogus, sign: signRobotRequest(bogus, appSecret), appSecret, now: () => t })).toBe(
      false,
    );
    expect(
      codeOf(() => checkRobotRequest({ timestamp: bogus, sign: signRobotRequest(bogus, appSecret), appSecret, now: () => t })),
    ).toBe('dingtalk_request_stale');
  });

  it('an empty app secret is a configuration error, never a pass', () => {
    expect(verifyRobotRequest({ timestamp, sign: signRobotRequest(timestamp, ''), appSecret: '', now: () => t })).toBe(false);
    expect(codeOf(() => checkRobotRequest({ timestamp, sign, appSecret: '', now: () => t }))).toBe('dingtalk_secret_missing');
  });
});

describe('card callback signature and window', () => {
  const apiSecret = 'xpert-card-secret';
  const timestamp = '1700000000000';
  const signature = 'AEege7H8gZPwa1JuoOHaN+9pXqtt3uYMm1L/DP3/ndE=';
  const t = Number(timestamp);

  it('accepts exactly ±1 h and rejects beyond', () => {
    for (const [offset, ok] of [
      [0, true],
      [3_600_000, true],
      [-3_600_000, true],
      [3_600_001, false],
      [-3_600_001, false],
    ] as const) {
      expect(verifyCardCallback({ timestamp, signature, apiSecret, now: () => t + offset })).toBe(ok);
    }
  });

  it('honours a custom window and a seconds timestamp', () => {
    expect(verifyCardCallback({ timestamp, signature, apiSecret, now: () => t + 60_001, windowMs: 60_000 })).toBe(false);
    const seconds = '1700000000';
    expect(verifyCardCallback({ timestamp: seconds, signature: signCardCallback(seconds, apiSecret), apiSecret, now: () => t })).toBe(
      true,
    );
  });

  it('reports distinct codes', () => {
    expect(codeOf(() => checkCardCallback({ timestamp, signature: 'x', apiSecret, now: () => t }))).toBe('dingtalk_signature_invalid');
    expect(codeOf(() => checkCardCallback({ timestamp, signature, apiSecret, now: () => t + 3_600_001 }))).toBe(
      'dingtalk_request_stale',
    );
  });
});

describe('event timestamp freshness', () => {
  const nowMs = 1_700_000_000_000;
  const hour = 3_600_000;

  it('accepts milliseconds at the window edges', () => {
    expect(isTimestampFresh(String(nowMs - hour), nowMs, hour)).toBe(true);
    expect(isTimestampFresh(String(nowMs + hour), nowMs, hour)).toBe(true);
    expect(isTimestampFresh(String(nowMs - hour - 1), nowMs, hour)).toBe(false);
    expect(isTimestampFresh(String(nowMs + hour + 1), nowMs, hour)).toBe(false);
  });

  it('accepts seconds at the window edges', () => {
    const seconds = nowMs / 1000;
    expect(isTimestampFresh(String(seconds - 3600), nowMs, hour)).toBe(true);
    expect(isTimestampFresh(String(seconds + 3600), nowMs, hour)).toBe(true);
    expect(isTimestampFresh(String(seconds - 3601), nowMs, hour)).toBe(false);
    expect(isTimestampFresh(String(seconds + 3601), nowMs, hour)).toBe(false);
  });

  it('rejects garbage', () => {
    for (const bad of ['', 'abc', '-1700000000', '1.7e12', ' 1700000000', undefined, 1_700_000_000]) {
      expect(isTimestampFresh(bad, nowMs, hour)).toBe(false);
    }
    expect(codeOf(() => checkTimestampFresh('abc', nowMs))).toBe('dingtalk_request_stale');
    expect(() => checkTimestampFresh(String(nowMs), nowMs)).not.toThrow();
  });
});

describe('safeEqual', () => {
  it('compares by value and never throws on a length mismatch', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('a', 'a'.repeat(1000))).toBe(false);
    expect(safeEqual('测试', '测试')).toBe(true);
    expect(safeEqual(undefined, 'abc')).toBe(false);
    expect(safeEqual(['abc'], 'abc')).toBe(false);
  });
});
