import { createCipheriv, createDecipheriv, createHash, randomBytes, randomInt } from 'node:crypto';
import { TextDecoder } from 'node:util';
import { DingTalkError } from '../kernel/errors';
import { safeEqual } from '../kernel/safe-equal';

/**
 * The encryption DingTalk uses for HTTP event subscriptions ("HTTP 推送") and for the encrypted
 * `success` answer it expects back. Same algorithm as DingTalk's reference `DingCallbackCrypto`:
 * AES-256-CBC without automatic padding, PKCS#7 padding to a 32-byte block done by hand, and a
 * plaintext framed as random(16) ‖ length(4, big-endian) ‖ message ‖ owner key.
 */

export interface CallbackCipherOptions {
  /** Signing token from the developer console (事件订阅 → 签名 token). */
  token: string;
  /** EncodingAESKey from the developer console: 43 letters or digits. */
  aesKey: string;
  /** The app's ClientID/AppKey for console-configured events; the CorpId for API-registered ones. */
  ownerKey: string;
  /** Clock for default reply timestamps (milliseconds). */
  now?: () => number;
}

/** What DingTalk sends: query `signature`/`timestamp`/`nonce` plus the body's `encrypt`. */
export interface EncryptedCallback {
  signature: string;
  timestamp: string;
  nonce: string;
  encrypt: string;
}

/** The response body DingTalk expects; note the camelCase `timeStamp`. */
export interface EncryptedReply {
  msg_signature: string;
  timeStamp: string;
  nonce: string;
  encrypt: string;
}

export interface EncryptOptions {
  timestamp?: string;
  nonce?: string;
  /** The 16 random bytes that start the plaintext; crypto-random by default. */
  random?: Uint8Array;
}

export interface CallbackCipher {
  /** Verifies the signature, then decrypts; returns the message (UTF-8 JSON text). */
  decrypt(input: EncryptedCallback): string;
  /** Encrypts and signs a message the way DingTalk would send it (useful for simulators and tests). */
  encrypt(plaintext: string, opts?: EncryptOptions): EncryptedCallback;
  /** Builds the encrypted response body, normally for the plaintext `success`. */
  encryptReply(plaintext: string, opts?: EncryptOptions): EncryptedReply;
  /** Base64 ciphertext of one message, without signing. */
  encryptMessage(plaintext: string, random16?: Uint8Array): string;
  /** sha1 signature over token, timestamp, nonce and ciphertext. */
  sign(timestamp: string, nonce: string, encrypt: string): string;
}

const AES_KEY_PATTERN = /^[A-Za-z0-9]{43}$/;
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// DingTalk pads to 32 bytes although AES blocks are 16: PKCS#7 with block size 32.
const PAD_BLOCK = 32;
const RANDOM_BYTES = 16;
const LENGTH_BYTES = 4;
const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const NONCE_LENGTH = 16;
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

export function createCallbackCipher(options: CallbackCipherOptions): CallbackCipher {
  const { token, ownerKey } = options;
  const key = decodeAesKey(options.aesKey);
  if (typeof token !== 'string' || token.length === 0) {
    throw new DingTalkError(
      'dingtalk_callback_token_missing',
      'The callback signing token (callbackToken) is empty: copy the "签名 token" from the DingTalk developer console (事件订阅).',
    );
  }
  if (typeof ownerKey !== 'string' || ownerKey.length === 0) {
    throw new DingTalkError(
      'dingtalk_owner_key_missing',
      'The callback owner key is empty: set the app ClientID/AppKey (or the CorpId for events registered by API).',
    );
  }
  const ownerKeyBytes = Buffer.from(ownerKey, 'utf8');
  const now = options.now ?? Date.now;

  const sign = (timestamp: string, nonce: string, encrypt: string): string =>
    callbackSignature(token, timestamp, nonce, encrypt);

  const encryptMessage = (plaintext: string, random16?: Uint8Array): string =>
    encryptPayload(key, ownerKeyBytes, plaintext, random16 ?? randomBytes(RANDOM_BYTES));

  const encrypt = (plaintext: string, opts: EncryptOptions = {}): EncryptedCallback => {
    const timestamp = opts.timestamp ?? String(now());
    const nonce = opts.nonce ?? randomNonce();
    const ciphertext = encryptMessage(plaintext, opts.random);
    return { signature: sign(timestamp, nonce, ciphertext), timestamp, nonce, encrypt: ciphertext };
  };

  const encryptReply = (plaintext: string, opts: EncryptOptions = {}): EncryptedReply => {
    const signed = encrypt(plaintext, opts);
    return { msg_signature: signed.signature, timeStamp: signed.timestamp, nonce: signed.nonce, encrypt: signed.encrypt };
  };

  const decrypt = (input: EncryptedCallback): string => {
    const timestamp = stringOrEmpty(input?.timestamp);
    const nonce = stringOrEmpty(input?.nonce);
    const ciphertext = stringOrEmpty(input?.encrypt);
    // Signature first: nothing forged reaches the decrypt code.
    if (!safeEqual(sign(timestamp, nonce, ciphertext), input?.signature)) {
      throw new DingTalkError(
        'dingtalk_signature_invalid',
        'Callback signature does not match: check that the integration callbackToken equals the console "签名 token".',
        401,
      );
    }
    if (ciphertext.length === 0) {
      throw new DingTalkError('dingtalk_payload_invalid', 'Callback body has no "encrypt" field.', 400);
    }
    return decryptPayload(key, ownerKeyBytes, ciphertext);
  };

  return { decrypt, encrypt, encryptReply, encryptMessage, sign };
}

/** sha1 hex of the lexicographically sorted [token, timestamp, nonce, encrypt], concatenated. */
export function callbackSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  const joined = [token, timestamp, nonce, encrypt].sort().join('');
  return createHash('sha1').update(joined, 'utf8').digest('hex');
}

/** EncodingAESKey → the 32-byte AES key. Lenient base64 on purpose: DingTalk's own sample key has non-zero trailing bits. */
export function decodeAesKey(aesKey: string): Buffer {
  if (typeof aesKey !== 'string' || !AES_KEY_PATTERN.test(aesKey)) {
    throw new DingTalkError(
      'dingtalk_aes_key_invalid',
      'The callback AES key (callbackAesKey) must be exactly 43 letters or digits: copy the "加密 aes_key" from the DingTalk developer console.',
    );
  }
  return Buffer.from(`${aesKey}=`, 'base64');
}

function encryptPayload(key: Buffer, ownerKey: Buffer, plaintext: string, random16: Uint8Array): string {
  if (random16.length !== RANDOM_BYTES) {
    throw new DingTalkError('dingtalk_encrypt_failed', 'The random prefix must be exactly 16 bytes.', 500);
  }
  const message = Buffer.from(plaintext, 'utf8');
  const length = Buffer.alloc(LENGTH_BYTES);
  length.writeUInt32BE(message.length, 0);
  const framed = Buffer.concat([Buffer.from(random16), length, message, ownerKey]);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(pad(framed)), cipher.final()]).toString('base64');
}

function decryptPayload(key: Buffer, ownerKey: Buffer, ciphertext: string): string {
  if (!BASE64_PATTERN.test(ciphertext)) throw decryptFailed('ciphertext is not base64');
  const encrypted = Buffer.from(ciphertext, 'base64');
  if (encrypted.length === 0 || encrypted.length % 16 !== 0) throw decryptFailed('ciphertext length is not a multiple of 16');

  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  let framed: Buffer;
  try {
    framed = unpad(Buffer.concat([decipher.update(encrypted), decipher.final()]));
  } catch (error) {
    if (error instanceof DingTalkError) throw error;
    throw decryptFailed('AES decryption failed');
  }

  const headerLength = RANDOM_BYTES + LENGTH_BYTES;
  if (framed.length < headerLength) throw decryptFailed('plaintext shorter than its header');
  const messageLength = framed.readUInt32BE(RANDOM_BYTES);
  if (messageLength > framed.length - headerLength) throw decryptFailed('message length out of bounds');

  const messageEnd = headerLength + messageLength;
  if (!safeEqual(framed.subarray(messageEnd).toString('latin1'), ownerKey.toString('latin1'))) {
    throw new DingTalkError(
      'dingtalk_owner_key_mismatch',
      'The callback was encrypted for another app: check the owner key (ClientID/AppKey, or CorpId for events registered by API).',
      401,
    );
  }
  try {
    return utf8Strict.decode(framed.subarray(headerLength, messageEnd));
  } catch {
    throw new DingTalkError('dingtalk_payload_invalid', 'Decrypted callback message is not valid UTF-8.', 400);
  }
}

function pad(buffer: Buffer): Buffer {
  const amount = PAD_BLOCK - (buffer.length % PAD_BLOCK);
  return Buffer.concat([buffer, Buffer.alloc(amount, amount)]);
}

function unpad(buffer: Buffer): Buffer {
  const amount = buffer[buffer.length - 1];
  if (amount === undefined || amount < 1 || amount > PAD_BLOCK || amount > buffer.length) {
    throw decryptFailed('invalid padding');
  }
  let consistent = true;
  for (let i = buffer.length - amount; i < buffer.length; i++) consistent = consistent && buffer[i] === amount;
  if (!consistent) throw decryptFailed('invalid padding');
  return buffer.subarray(0, buffer.length - amount);
}

function decryptFailed(reason: string): DingTalkError {
  return new DingTalkError(
    'dingtalk_decrypt_failed',
    'Could not decrypt the callback: check that callbackAesKey equals the console "加密 aes_key".',
    400,
    { reason },
  );
}

function randomNonce(): string {
  let nonce = '';
  for (let i = 0; i < NONCE_LENGTH; i++) nonce += NONCE_ALPHABET[randomInt(NONCE_ALPHABET.length)];
  return nonce;
}

function stringOrEmpty(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
