import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import type { PluginConfig } from '../config/plugin-config';
import { PluginDatabase } from '../core/plugin-database.service';
import { backoffCap, type Queryable } from '../persistence';
import { DINGTALK_PLUGIN_CONFIG } from '../kernel/tokens';
import { HandoffWorker } from './handoff.worker';
import { describeJobError } from './job-execution';
import { JOB_HANDLERS, type JobHandler } from './job-handler.port';
import { DEFAULT_RETRY, type HandoffWorkerOptions, type HandoffWorkerStats, type WorkerLogger } from './worker-options';
import { WorkerStartGate } from './worker-start-gate';
import { WorkerWake } from './worker-wake';

/** Longest wait between attempts to open the database before the worker can start. */
const MAX_OPEN_RETRY_MS = 60_000;

/**
 * Nest face of the handoff worker: starts it once the plugin database is open (when
 * `worker.enabled`), and stops it gracefully when the module is destroyed.
 *
 * Stopping happens in onModuleDestroy, the first shutdown hook Nest calls, so the worker stops
 * claiming as early as possible. Nest runs the destroy hooks of one module concurrently, so the
 * database must be closed in a later phase (PluginDatabase belongs in onApplicationShutdown); if it
 * closes under us, releasing fails softly and the leases expire instead (P12).
 */
@Injectable()
export class WorkerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('DingTalkWorker');
  private readonly handlers: readonly JobHandler[];
  private worker?: HandoffWorker;
  private destroyed = false;
  private retryTimer?: NodeJS.Timeout;
  private readonly unlisten?: () => void;

  constructor(
    private readonly database: PluginDatabase,
    @Inject(DINGTALK_PLUGIN_CONFIG) private readonly config: PluginConfig,
    @Optional() @Inject(JOB_HANDLERS) handlers?: JobHandler[] | null,
    @Optional() private readonly gate?: WorkerStartGate,
    @Optional() wake?: WorkerWake,
  ) {
    this.handlers = handlers ?? [];
    this.unlisten = wake?.listen(() => this.notify());
  }

  /**
   * Normally the database is already open (the plugin module opens it in onPluginBootstrap), so the
   * worker is running when this resolves. If it cannot be opened, boot goes on and we retry with a
   * backoff in the background: a database outage must not keep the Xpert server from starting.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.worker.enabled) {
      this.logger.log('DingTalk handoff worker disabled by configuration');
      return;
    }
    await this.tryStart(1);
  }

  async onModuleDestroy(): Promise<void> {
    this.destroyed = true;
    this.unlisten?.();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.worker?.stop();
  }

  /** Wake the worker after enqueueing in this process, so the job does not wait for the next poll. */
  notify(): void {
    this.worker?.notify();
  }

  /** Counters of the running worker; undefined while it is disabled or not started yet. */
  stats(): HandoffWorkerStats | undefined {
    return this.worker?.stats;
  }

  private async tryStart(attempt: number): Promise<void> {
    if (this.destroyed || this.worker) return;
    try {
      const db = await this.database.open();
      await this.gate?.ready();
      if (this.destroyed || this.worker) return;
      this.worker = createWorkerFrom(db, this.config, this.handlers, this.logger);
      this.worker.start();
    } catch (error) {
      if (this.destroyed) return;
      const delay = backoffCap(attempt, { baseMs: Math.max(1, this.config.worker.pollIntervalMs * 2), maxMs: MAX_OPEN_RETRY_MS });
      this.logger.warn(`DingTalk handoff worker not started: database unavailable (${describeJobError(error, 300)}); retry in ${delay} ms`);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.tryStart(attempt + 1);
      }, delay);
      this.retryTimer.unref();
    }
  }
}

/** The worker as configured by the plugin config (exported for the sandbox host and tests). */
export function createWorkerFrom(
  db: Queryable,
  config: PluginConfig,
  handlers: readonly JobHandler[],
  logger: WorkerLogger,
  hooks: Pick<HandoffWorkerOptions, 'onJobSettled'> = {},
): HandoffWorker {
  const { concurrency, pollIntervalMs, leaseMs, shutdownGraceMs } = config.worker;
  return new HandoffWorker({ db, handlers, concurrency, pollIntervalMs, leaseMs, shutdownGraceMs, retry: DEFAULT_RETRY, logger, ...hooks });
}
