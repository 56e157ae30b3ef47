import fc from 'fast-check';
import { DEFAULT_STREAM_BACKOFF, reconnectDelay } from '../../../src/dingtalk/stream-backoff';

describe('reconnectDelay (the plugin backoff: capped exponential, full jitter)', () => {
  it('defaults to 1 s doubling up to 60 s', () => {
    expect(DEFAULT_STREAM_BACKOFF).toEqual({ baseMs: 1000, maxMs: 60000 });
    const top = () => 1 - Number.EPSILON;
    expect([0, 1, 2, 3, 4, 5, 6, 7, 30].map((n) => reconnectDelay(n, DEFAULT_STREAM_BACKOFF, top))).toEqual([
      1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000,
    ]);
  });

  it('spans the whole window: 0 at random 0, the middle at 0.5', () => {
    expect(reconnectDelay(3, { baseMs: 1000, maxMs: 60000 }, () => 0)).toBe(0);
    expect(reconnectDelay(3, { baseMs: 1000, maxMs: 60000 }, () => 0.5)).toBe(4000);
    expect(reconnectDelay(10, { baseMs: 1000, maxMs: 60000 }, () => 0.5)).toBe(30000);
  });

  it('always stays in [0, min(max, base * 2^n)] whatever the random source returns', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 2000 }),
        fc.integer({ min: 1, max: 10000 }),
        fc.integer({ min: 1, max: 600000 }),
        fc.double({ min: -1, max: 2, noNaN: true }),
        (failures, baseMs, maxMs, r) => {
          const delay = reconnectDelay(failures, { baseMs, maxMs }, () => r);
          const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, failures), 30));
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(ceiling);
        },
      ),
    );
  });

  it('treats a negative or non-finite failure count as the first retry', () => {
    expect(reconnectDelay(-3, { baseMs: 100, maxMs: 1000 }, () => 0.99)).toBe(99);
    expect(reconnectDelay(Number.NaN, { baseMs: 100, maxMs: 1000 }, () => 0.99)).toBe(99);
  });
});
