/**
 * Deterministic host thread ids. A session maps to one Xpert thread per generation, so continuity
 * needs no mapping table (re-creating the thread is idempotent at the host) and ending a session
 * (a new generation) starts a fresh thread. UUIDs because the host stores `threadId` as a string
 * and the Agent Protocol tooling expects UUIDs.
 */
import { createHash } from 'node:crypto';

/** Our own namespace, so our ids never collide with other v5 users of the same names. */
export const DINGTALK_THREAD_NAMESPACE = '6f0d4c1e-8a0b-5c36-9a57-3a1f0b2d7e94';

function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError('namespace must be a UUID');
  return Buffer.from(hex, 'hex');
}

/** RFC 4122 / 9562 name-based UUID, version 5 (SHA-1). */
export function uuidV5(name: string, namespace: string): string {
  const digest = createHash('sha1').update(uuidBytes(namespace)).update(name, 'utf8').digest();
  const bytes = digest.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Thread id for one generation of a session; same inputs, same id, on every replica. */
export function threadIdFor(sessionKey: string, generation: string | number): string {
  // A NUL separator (absent from session keys) keeps ("a:1", 2) and ("a", "1:2") apart.
  return uuidV5(`${sessionKey}\u0000${String(generation)}`, DINGTALK_THREAD_NAMESPACE);
}
