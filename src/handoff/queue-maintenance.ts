import type { MaintenanceCutoffs, MaintenanceFigures, PersistenceLogger, QueueLifecycleRepository } from '../persistence';
import { describeJobError } from './job-execution';

const DAY_MS = 24 * 3600_000;
const HOUR_MS = 3600_000;

export interface QueueMaintenanceOptions {
  repository: Pick<QueueLifecycleRepository, 'sweep'>;
  inboxRetentionDays: number;
  doneRetentionHours: number;
  /** Pause between rounds; 0 = never on a timer (runOnce still works). */
  intervalMs: number;
  /** Injected clock: the cutoffs are measured on it (tests simulate weeks in milliseconds). */
  now?: () => Date;
  logger: PersistenceLogger;
}

export interface MaintenanceRound extends MaintenanceFigures {
  at: Date;
}

/**
 * The queue looks after itself: every interval one round purges inbox rows past the retention and
 * done jobs past their age, and takes back jobs whose lease expired. Every replica runs the loop;
 * the advisory lock in `sweep` lets only one of them work per round.
 */
export class QueueMaintenance {
  private timer?: NodeJS.Timeout;
  private running?: Promise<MaintenanceRound | undefined>;
  private stopped = false;
  private lastRound?: MaintenanceRound;
  private readonly totals = { rounds: 0, inboxPurged: 0, donePurged: 0, leasesReclaimed: 0, failures: 0 };

  constructor(private readonly options: QueueMaintenanceOptions) {}

  cutoffs(): MaintenanceCutoffs {
    const now = this.now().getTime();
    return {
      inboxBefore: new Date(now - this.options.inboxRetentionDays * DAY_MS),
      doneBefore: new Date(now - this.options.doneRetentionHours * HOUR_MS),
    };
  }

  /** One round now. Errors propagate (the timer loop logs them and tries again next interval). */
  async runOnce(): Promise<MaintenanceRound> {
    const figures = await this.options.repository.sweep(this.cutoffs());
    const round = { at: this.now(), ...figures };
    if (figures.ran) {
      this.lastRound = round;
      this.totals.rounds += 1;
      this.totals.inboxPurged += figures.inboxPurged;
      this.totals.donePurged += figures.donePurged;
      this.totals.leasesReclaimed += figures.leasesReclaimed;
      if (figures.leasesReclaimed > 0) this.options.logger.warn(`queue maintenance took back ${figures.leasesReclaimed} job(s) whose lease had expired`);
      this.options.logger.debug(`queue maintenance: purged ${figures.inboxPurged} inbox row(s) and ${figures.donePurged} done job(s)`);
    }
    return round;
  }

  start(): void {
    if (this.stopped || this.timer || this.options.intervalMs <= 0) return;
    this.schedule(0);
  }

  /** Stops the timer and waits for a round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** What the status route shows: the last round this replica ran, and totals since start. */
  get stats(): { last: MaintenanceRound | null; totals: QueueMaintenance['totals'] } {
    return { last: this.lastRound ?? null, totals: { ...this.totals } };
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.runOnce().catch((error: unknown) => {
        this.totals.failures += 1;
        this.options.logger.warn(`queue maintenance failed (${describeJobError(error, 300)}); next round in ${this.options.intervalMs} ms`);
        return undefined;
      });
      void this.running.finally(() => this.schedule(this.options.intervalMs));
    }, delayMs);
    // Housekeeping alone must never keep the process alive.
    this.timer.unref();
  }

  private now(): Date {
    return this.options.now ? this.options.now() : new Date();
  }
}
