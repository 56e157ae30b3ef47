import type { HandoffRepository } from '../persistence';
import { describeJobError, type RunningJob } from './job-execution';
import type { WorkerLogger } from './worker-options';

export interface LeaseHeartbeatDeps {
  queue: HandoffRepository;
  owner: string;
  leaseMs: number;
  /** The runs to keep alive, read at every beat. */
  runs: () => Iterable<RunningJob>;
  /** Called for a live run whose lease is no longer ours. */
  onLost: (run: RunningJob) => void;
  logger: WorkerLogger;
}

/**
 * Renews the leases of running jobs every leaseMs/3, so a slow but healthy job is never reclaimed,
 * and notices when a lease was taken away (another replica reclaimed it after a stall). The timer
 * runs only while there is something to renew and never keeps the process alive.
 */
export class LeaseHeartbeat {
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;

  constructor(private readonly deps: LeaseHeartbeatDeps) {}

  /** Starts the timer if it is not running. */
  ensure(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat(), Math.max(1, Math.floor(this.deps.leaseMs / 3)));
    this.timer.unref();
  }

  clear(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One renewal round now; overlapping calls share the round in progress. */
  beat(): Promise<void> {
    this.beating ??= this.renewAll().finally(() => (this.beating = undefined));
    return this.beating;
  }

  private async renewAll(): Promise<void> {
    const { queue, owner, leaseMs, logger } = this.deps;
    const runs = [...this.deps.runs()].filter((run) => run.live);
    await Promise.all(
      runs.map(async (run) => {
        try {
          const held = await queue.extendLease(run.job.id, owner, leaseMs);
          // A finished run's own complete() makes extendLease miss; only a live run has lost anything.
          if (!held && run.live) this.deps.onLost(run);
        } catch (error) {
          // Keep the run: the lease is still ours until it expires, and the next beat tries again.
          logger.warn(`handoff job ${run.job.id}: lease renewal failed: ${describeJobError(error, 300)}`);
        }
      }),
    );
  }
}
