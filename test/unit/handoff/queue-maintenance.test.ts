import { QueueMaintenance } from '../../../src/handoff/queue-maintenance';
import type { MaintenanceCutoffs, MaintenanceFigures } from '../../../src/persistence';
import { deferred } from '../../support/database';

const DAY = 24 * 3600_000;

describe('QueueMaintenance', () => {
  it('measures the cutoffs on its clock: inbox by days, done jobs by hours', () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    const maintenance = new QueueMaintenance({
      repository: { sweep: jest.fn() },
      inboxRetentionDays: 7,
      doneRetentionHours: 48,
      intervalMs: 0,
      now: () => new Date(now),
      logger: { debug: jest.fn(), log: jest.fn(), warn: jest.fn(), error: jest.fn() },
    });
    expect(maintenance.cutoffs()).toEqual({ inboxBefore: new Date(now - 7 * DAY), doneBefore: new Date(now - 2 * DAY) });
  });

  it('keeps going after a failed round, counts it, and stop() waits for the round in progress', async () => {
    const warnings: string[] = [];
    const rounds: Array<ReturnType<typeof deferred<MaintenanceFigures>>> = [];
    const called: Array<ReturnType<typeof deferred<void>>> = [deferred(), deferred()];
    const sweep = jest.fn((_cutoffs: MaintenanceCutoffs) => {
      const round = deferred<MaintenanceFigures>();
      rounds.push(round);
      called[rounds.length - 1]?.resolve();
      return round.promise;
    });
    const maintenance = new QueueMaintenance({
      repository: { sweep },
      inboxRetentionDays: 7,
      doneRetentionHours: 48,
      intervalMs: 1,
      logger: { debug: () => undefined, log: () => undefined, warn: (m) => void warnings.push(m), error: () => undefined },
    });
    maintenance.start();
    await called[0].promise;
    rounds[0].reject(new Error('database restarting'));
    await called[1].promise;
    const stopped = maintenance.stop();
    rounds[1].resolve({ ran: true, inboxPurged: 3, donePurged: 2, leasesReclaimed: 1 });
    await stopped;
    expect(maintenance.stats.totals).toEqual({ rounds: 1, inboxPurged: 3, donePurged: 2, leasesReclaimed: 1, failures: 1 });
    expect(warnings.some((w) => w.includes('database restarting'))).toBe(true);
    expect(sweep).toHaveBeenCalledTimes(2);
  });
});
