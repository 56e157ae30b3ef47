import fc from 'fast-check';
import { backoffDelay, DEFAULT_STREAM_BACKOFF } from '../../../src/dingtalk/stream-backoff';

describe('backoffDelay (capped exponential, full jitter)', () => {
  it('defaults to 1 s doubling up to 60 s', () => {
    expect(DEFAULT_STREAM_BACKOFF).toEqual({ baseMs: 1000, maxMs: 60000 });
    const top = () => 1 - Number.EPSILON;
    expect([0, 1, 2, 3, 4, 5, 6, 7, 30].map((n) => backoffDelay(n, DEFAULT_STREAM_BACKOFF, top))).toEqual([
      999, 1999, 3999, 7999, 15999, 31999, 59999, 59999, 59999,
    ]);
  });

  it('spans the whole window: 0 at random 0, the middle at 0.5', () => {
    expect(backoffDelay(3, { baseMs: 1000, maxMs: 60000 }, () => 0)).toBe(0);
    expect(backoffDelay(3, { baseMs: 1000, maxMs: 60000 }, () => 0.5)).toBe(4000);
    expect(backoffDelay(10, { baseMs: 1000, maxMs: 60000 }, () => 0.5)).toBe(30000);
  });

  it('always stays in [0, min(max, base * 2^n)) whatever the random source returns', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 2000 }),
        fc.integer({ min: 1, max: 10000 }),
        fc.integer({ min: 1, max: 600000 }),
        fc.double({ min: -1, max: 2, noNaN: true }),
        (retry, baseMs, maxMs, r) => {
          const delay = backoffDelay(retry, { baseMs, maxMs }, () => r);
          const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry));
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(Math.max(ceiling, 1));
          expect(delay).toBeLessThanOrEqual(maxMs);
        },
      ),
    );
  });

  it('treats a negative or non-finite retry as the first retry', () => {
    expect(backoffDelay(-3, { baseMs: 100, maxMs: 1000 }, () => 0.99)).toBe(99);
    expect(backoffDelay(Number.NaN, { baseMs: 100, maxMs: 1000 }, () => 0.99)).toBe(99);
  });
});
