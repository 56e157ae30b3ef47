import { backoffDelay, HandoffRepository, silentLogger, type HandoffJob } from '../persistence';
import { abortReason, describeJobError, JobExecutor, RunningJob, type JobOutcome } from './job-execution';
import { LeaseHeartbeat } from './lease-heartbeat';
import {
  defaultOwner,
  indexHandlers,
  MAX_ERROR_DELAY_MS,
  validateWorkerOptions,
  type HandoffWorkerOptions,
  type HandoffWorkerStats,
  type WorkerLogger,
  type WorkerState,
} from './worker-options';

/**
 * At most this many jobs in a row run in one slot by chaining (completion claims the session's next
 * job); then the slot goes back to the oldest-first claim, so one busy session cannot hold it forever.
 */
const MAX_CHAIN = 16;

/**
 * Consumes the durable handoff queue (DESIGN §3). A plain class so it runs and is tested without
 * Nest; `WorkerService` wraps it for the plugin module.
 *
 * One loop per worker: reclaim expired leases when due, claim up to the free slots, start each job
 * (its handler runs detached; LeaseHeartbeat renews the leases), repeat. Every state change goes through
 * HandoffRepository, whose owner-guarded statements make a lost race harmless: a run that lost its
 * lease can neither complete nor fail the job.
 */
export class HandoffWorker {
  readonly owner: string;
  private readonly queue: HandoffRepository;
  private readonly executor: JobExecutor;
  private readonly logger: WorkerLogger;
  private readonly reclaimIntervalMs: number;
  private readonly running = new Set<RunningJob>();
  private state: WorkerState = 'idle';
  /** Slots promised to claims still in flight, so concurrent runOnce calls cannot overshoot. */
  private reserved = 0;
  /** runOnce claims in flight (each settles once its jobs have begun). */
  private readonly claims = new Set<Promise<unknown>>();
  private timer?: NodeJS.Timeout;
  private readonly heartbeat: LeaseHeartbeat;
  private ticking = false;
  private wakeRequested = false;
  private consecutiveErrors = 0;
  private lastReclaimAt = Number.NEGATIVE_INFINITY;
  /**
   * Work may be waiting that this worker has not claimed: its last claim filled every slot it asked
   * for, or a wake-up found no free slot. A claim that returns fewer jobs than it asked for clears
   * it — the queue held nothing more for us then; what is enqueued later rings notify() or waits
   * for the poll, as when the worker is idle.
   */
  private backlog = false;
  private stopping?: Promise<void>;
  /** Set once the grace period is over: anything claimed after this is handed straight back. */
  private gaveUp = false;
  private readonly counters = { claimed: 0, completed: 0, retried: 0, dead: 0, lost: 0, released: 0, unrecorded: 0, reclaimed: 0, tickErrors: 0 };

  constructor(private readonly options: HandoffWorkerOptions) {
    validateWorkerOptions(options);
    this.owner = options.owner ?? defaultOwner();
    this.logger = options.logger ?? silentLogger;
    this.queue = new HandoffRepository(options.db);
    this.reclaimIntervalMs = options.reclaimIntervalMs ?? Math.max(options.pollIntervalMs, Math.round(options.leaseMs / 2));
    this.executor = new JobExecutor({
      queue: this.queue,
      handlers: indexHandlers(options.handlers),
      owner: this.owner,
      retry: options.retry,
      random: options.random,
      permanentErrorCodes: new Set(options.permanentErrorCodes ?? []),
      logger: this.logger,
      // Chaining only while running: a stopping worker takes nothing new.
      chain: { leaseMs: options.leaseMs, wanted: (run) => this.state === 'running' && run.chain < MAX_CHAIN },
    });
    this.heartbeat = new LeaseHeartbeat({
      queue: this.queue,
      owner: this.owner,
      leaseMs: options.leaseMs,
      runs: () => this.running,
      onLost: (run) => this.loseLease(run),
      logger: this.logger,
    });
  }

  /** Starts the poll loop. A stopped worker stays stopped (make a new one). */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.logger.log(`handoff worker ${this.owner} started (concurrency ${this.options.concurrency})`);
    this.schedule(0);
  }

  /**
   * Cheap wake-up for producers in this process: call after enqueueing so the job does not wait for
   * the next poll. Coalesces: a burst of calls costs one extra claim.
   */
  notify(): void {
    // While the database is failing, the error backoff wins over wake-ups.
    if (this.state !== 'running' || this.consecutiveErrors > 0) return;
    if (this.ticking) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  /**
   * One tick's work: reclaim expired leases when due, claim up to the free slots and start those
   * jobs. Returns how many were claimed; does not wait for them. Database errors propagate (the loop
   * catches them; tests see them).
   */
  async runOnce(): Promise<number> {
    if (!this.accepting) return 0;
    await this.reclaimIfDue();
    // Checked again after the await: stop() may have begun meanwhile, and must see every claim.
    const limit = this.options.concurrency - this.running.size - this.reserved;
    if (!this.accepting) return 0;
    if (limit <= 0) {
      this.backlog = true;
      return 0;
    }
    const work = this.claimAndBegin(limit);
    this.claims.add(work);
    try {
      return await work;
    } finally {
      this.claims.delete(work);
    }
  }

  /**
   * Renews the lease of every running job. The heartbeat timer calls it every leaseMs/3; tests call
   * it directly. A job whose lease is gone has its signal aborted and its result discarded.
   */
  extendLeases(): Promise<void> {
    return this.heartbeat.beat();
  }

  /**
   * Graceful shutdown (P14): stop claiming, let running jobs finish for up to shutdownGraceMs, then
   * abort the rest and release them to the queue without counting the attempt. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  get stats(): HandoffWorkerStats {
    return { owner: this.owner, state: this.state, concurrency: this.options.concurrency, inFlight: this.running.size, ...this.counters };
  }

  private get accepting(): boolean {
    return this.state === 'idle' || this.state === 'running';
  }

  /** Settles only after the claimed jobs have begun, so stop() can wait for "claims and their runs". */
  private async claimAndBegin(limit: number): Promise<number> {
    this.reserved += limit;
    let jobs: HandoffJob[];
    try {
      jobs = await this.queue.claim({ owner: this.owner, limit, leaseMs: this.options.leaseMs });
    } finally {
      this.reserved -= limit;
    }
    if (this.gaveUp) {
      // stop() gave up while this claim hung on the database: hand the jobs back unstarted.
      if (jobs.length > 0) await this.queue.releaseOwned(this.owner);
      return 0;
    }
    this.counters.claimed += jobs.length;
    this.backlog = jobs.length >= limit;
    for (const job of jobs) this.begin(job);
    if (jobs.length === 0 && this.running.size === 0) this.callIdle();
    return jobs.length;
  }

  private begin(job: HandoffJob, chain = 0): void {
    // The same owner can claim a job again after its lease expired and was reclaimed while the old
    // run still went on; that old run has lost the job even if no heartbeat noticed yet.
    for (const stale of this.running) if (stale.job.id === job.id && !stale.lost) this.loseLease(stale);
    const run = new RunningJob(job, chain);
    this.running.add(run);
    this.heartbeat.ensure();
    run.done = this.executor.execute(run).then((outcome) => this.finish(run, outcome));
  }

  private finish(run: RunningJob, outcome: JobOutcome): JobOutcome {
    this.running.delete(run);
    if (this.running.size === 0) this.heartbeat.clear();
    this.counters[outcome] += 1;
    try {
      this.options.onJobSettled?.(run.job, outcome);
    } catch (error) {
      this.logger.warn(`handoff worker onJobSettled hook threw: ${describeJobError(error, 300)}`);
    }
    // The completion already claimed the session's next job into the slot it freed.
    if (run.next) this.adopt(run.next, run.chain + 1);
    // A slot just freed up: look for more work now rather than after a poll interval — unless the
    // completion already looked for the one job it could have unblocked (the session's next) and
    // nothing else is known to be waiting. A failed job (a dead one unblocks its session), or one
    // whose completion did not look, still claims.
    if (this.backlog || !(outcome === 'completed' && run.chainLooked)) this.notify();
    return outcome;
  }

  private adopt(job: HandoffJob, chain: number): void {
    if (this.gaveUp) {
      // Claimed while stop() was giving up: like a late claim, it goes straight back.
      void this.queue.releaseOwned(this.owner).catch(() => undefined);
      return;
    }
    this.counters.claimed += 1;
    this.begin(job, chain);
  }

  private loseLease(run: RunningJob): void {
    run.lost = true;
    this.logger.warn(`handoff job ${run.job.id} (${run.job.kind}) lost its lease on ${this.owner}; aborting it`);
    run.controller.abort(abortReason('lease_lost', run.job.id));
  }

  private async reclaimIfDue(): Promise<void> {
    const now = performance.now();
    const previous = this.lastReclaimAt;
    if (now - previous < this.reclaimIntervalMs) return;
    this.lastReclaimAt = now;
    let reclaimed: number;
    try {
      reclaimed = await this.queue.reclaimExpired();
    } catch (error) {
      // Failed sweeps do not count: try again on the next tick rather than a whole interval later.
      this.lastReclaimAt = previous;
      throw error;
    }
    if (reclaimed > 0) {
      this.counters.reclaimed += reclaimed;
      this.logger.warn(`handoff worker ${this.owner} took back ${reclaimed} job(s) whose lease had expired`);
    }
  }

  private schedule(delayMs: number): void {
    if (this.state !== 'running') return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, delayMs);
    // The loop alone must never keep the process alive.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.state !== 'running') return;
    this.ticking = true;
    this.wakeRequested = false;
    let delay = this.options.pollIntervalMs;
    try {
      const claimed = await this.runOnce();
      this.consecutiveErrors = 0;
      // More may be waiting: go again at once while there is room and the claim filled what it asked
      // for, or when someone woke us meanwhile.
      const free = this.options.concurrency - this.running.size;
      if ((claimed > 0 && this.backlog && free > 0) || this.wakeRequested) delay = 0;
    } catch (error) {
      // PostgreSQL restarting, a failover, a closed pool: log, back off, carry on. Never crash.
      this.consecutiveErrors += 1;
      this.counters.tickErrors += 1;
      const poll = this.options.pollIntervalMs;
      delay = poll + backoffDelay(this.consecutiveErrors, { baseMs: poll, maxMs: MAX_ERROR_DELAY_MS, random: this.options.random });
      this.logger.warn(`handoff worker ${this.owner}: tick failed (${describeJobError(error, 300)}); retrying in ${delay} ms`);
    } finally {
      this.ticking = false;
    }
    this.schedule(delay);
  }

  private async shutdown(): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // Claims in flight may still begin jobs; wait for them, then for every run there is.
    const drained = (async () => {
      await Promise.allSettled([...this.claims]);
      // A completion in flight may still chain one job in; wait for those too (no new chains start).
      while (this.running.size > 0) await Promise.all([...this.running].map((run) => run.done));
    })();
    const inTime = await this.withinGrace(drained);
    this.gaveUp = true;
    const remaining = [...this.running];
    for (const run of remaining) {
      run.abandoned = true;
      run.controller.abort(abortReason('shutdown', run.job.id));
    }
    this.heartbeat.clear();
    if (!inTime || this.counters.unrecorded > 0) await this.releaseRemaining(remaining.length);
    this.state = 'stopped';
    if (wasRunning || remaining.length > 0) this.logger.log(`handoff worker ${this.owner} stopped (${remaining.length} job(s) interrupted)`);
  }

  /** True when `work` settled within the grace period. */
  private async withinGrace(work: Promise<unknown>): Promise<boolean> {
    const graceMs = this.options.shutdownGraceMs;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = this.options.sleep
      ? this.options.sleep(graceMs)
      : new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    try {
      return await Promise.race([work.then(() => true), graceOver.then(() => false)]);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  private async releaseRemaining(interrupted: number): Promise<void> {
    try {
      const released = await this.queue.releaseOwned(this.owner);
      if (released > 0) this.logger.log(`handoff worker ${this.owner} released ${released} job(s) back to the queue`);
    } catch (error) {
      // Not fatal: their leases expire and another replica reclaims them (P12), at the cost of an attempt.
      const level = interrupted > 0 ? 'warn' : 'debug';
      this.logger[level](`handoff worker ${this.owner}: releasing its jobs failed (${describeJobError(error, 300)}); they return when their leases expire`);
    }
  }

  private callIdle(): void {
    try {
      this.options.onIdle?.();
    } catch (error) {
      this.logger.warn(`handoff worker onIdle hook threw: ${describeJobError(error, 300)}`);
    }
  }
}
