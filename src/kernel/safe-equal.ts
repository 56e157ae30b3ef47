import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time string comparison for signatures and tokens.
 *
 * `crypto.timingSafeEqual` throws when the buffers differ in length, and an early length check
 * would leak the expected length; hashing both sides first gives equal-length inputs whatever the
 * attacker sends. Non-string input (a missing header, an array from a repeated query parameter)
 * simply compares unequal.
 */
export function safeEqual(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const digestA = createHash('sha256').update(a, 'utf8').digest();
  const digestB = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(digestA, digestB) && a === b;
}
