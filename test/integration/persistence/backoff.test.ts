import fc from 'fast-check';
import { backoffCap, backoffDelay } from '../../../src/persistence';

// Pure; lives with the queue tests because the queue's retry schedule is built from it (P13).
describe('backoffDelay (capped exponential, full jitter)', () => {
  const options = { baseMs: 1000, maxMs: 60_000 };

  it('doubles the cap per attempt up to maxMs', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50, 10_000].map((n) => backoffCap(n, options))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000,
    ]);
    expect(backoffCap(0, options)).toBe(1000);
  });

  it('spans the whole range [0, cap] with the random source', () => {
    expect(backoffDelay(3, { ...options, random: () => 0 })).toBe(0);
    expect(backoffDelay(3, { ...options, random: () => 0.5 })).toBe(2000);
    expect(backoffDelay(3, { ...options, random: () => 0.999999999 })).toBe(4000);
  });

  it('is always an integer within [0, cap], whatever the inputs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.double({ min: -1, max: 2, noNaN: false }),
        (attempt, baseMs, maxMs, draw) => {
          const delay = backoffDelay(attempt, { baseMs, maxMs, random: () => draw });
          return Number.isInteger(delay) && delay >= 0 && delay <= backoffCap(attempt, { baseMs, maxMs });
        },
      ),
    );
  });

  it('jitters: delays for one attempt are spread out, not identical', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(5, options)));
    expect(delays.size).toBeGreaterThan(10);
  });
});
