import { settledRunAt } from '../../../src/intake/arrival-settle';

const SETTLE = 3000;

describe('settledRunAt (jobs right after an outage wait for the other replicas to drain)', () => {
  it('holds nothing on a database that never went away', () => {
    expect(settledRunAt({ now: 10_000, down: false, recoveredAt: undefined, settleMs: SETTLE })).toBeUndefined();
  });

  it('holds a job until the window after the recovery has passed', () => {
    expect(settledRunAt({ now: 10_500, down: false, recoveredAt: 10_000, settleMs: SETTLE })).toEqual(new Date(13_000));
    // The window is one instant for every job of it, so a later arrival is not due earlier.
    expect(settledRunAt({ now: 12_999, down: false, recoveredAt: 10_000, settleMs: SETTLE })).toEqual(new Date(13_000));
  });

  it('holds nothing once the window is over', () => {
    expect(settledRunAt({ now: 13_000, down: false, recoveredAt: 10_000, settleMs: SETTLE })).toBeUndefined();
    expect(settledRunAt({ now: 60_000, down: false, recoveredAt: 10_000, settleMs: SETTLE })).toBeUndefined();
  });

  it('while the database is still seen down, the write about to succeed opens the window', () => {
    expect(settledRunAt({ now: 20_000, down: true, recoveredAt: 10_000, settleMs: SETTLE })).toEqual(new Date(23_000));
    expect(settledRunAt({ now: 20_000, down: true, recoveredAt: undefined, settleMs: SETTLE })).toEqual(new Date(23_000));
  });

  it('a window of 0 turns the hold off', () => {
    expect(settledRunAt({ now: 10_500, down: false, recoveredAt: 10_000, settleMs: 0 })).toBeUndefined();
    expect(settledRunAt({ now: 10_500, down: true, recoveredAt: undefined, settleMs: 0 })).toBeUndefined();
  });
});
