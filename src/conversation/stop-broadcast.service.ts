import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import type { PluginConfig } from '../config/plugin-config';
import { PluginDatabase } from '../core/plugin-database.service';
import { logRef } from '../kernel/log-value';
import { DINGTALK_PLUGIN_CONFIG } from '../kernel/tokens';
import { ChannelListener, RunStopRepository, STOP_CHANNEL, type ChannelListenerOptions } from '../persistence';
import { RunCancellations } from './run-cancellations';

/** How the stop listener is made; tests replace it to play a replica whose listener is down. */
export const STOP_LISTENER_FACTORY = Symbol.for('xpert.plugin.dingtalk.stop-listener');
export type StopListenerFactory = (options: ChannelListenerOptions) => Pick<ChannelListener, 'start' | 'close'>;

/** The slowest the recorded stops are looked at while answers run here. */
const MAX_CHECK_MS = 5_000;

/**
 * Brings a stop (`/stop`, End conversation) to the replica that runs the answer, whichever replica
 * received it. The receiving replica aborts its own run at once, as ever; then it marks the
 * session's running jobs and notifies `plugin_dingtalk_stop` in one transaction, and every replica
 * listening there aborts its runs of that session.
 *
 * A notification is heard only while listening. So the marks are looked at too: each time the
 * listener is back after a reconnect (what was announced in the gap), and every few seconds while
 * an answer runs here (a connection that died without anybody noticing). A missed notification
 * delays a stop; it does not lose it.
 *
 * An embedded database (PGlite) serves one process: the local abort is the whole stop.
 */
@Injectable()
export class StopBroadcast implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('DingTalkStop');
  private readonly checkMs: number;
  private listener?: Pick<ChannelListener, 'start' | 'close'>;
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;

  constructor(
    private readonly database: PluginDatabase,
    private readonly cancellations: RunCancellations,
    @Inject(DINGTALK_PLUGIN_CONFIG) config: PluginConfig,
    @Optional() @Inject(STOP_LISTENER_FACTORY) private readonly listen?: StopListenerFactory,
  ) {
    // As often as leases are renewed (a third of the lease), and never slower than MAX_CHECK_MS.
    this.checkMs = Math.min(MAX_CHECK_MS, Math.max(100, Math.floor(config.worker.leaseMs / 3)));
  }

  onApplicationBootstrap(): void {
    const options: ChannelListenerOptions = {
      database: () => this.database.open(),
      channel: STOP_CHANNEL,
      onMessage: (sessionKey) => void this.cancellations.cancel(sessionKey),
      onListening: () => void this.check(),
      logger: this.logger,
    };
    this.listener = this.listen ? this.listen(options) : new ChannelListener(options);
    this.listener.start();
    this.timer = setInterval(() => void this.check(), this.checkMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // The held connection goes back before the plugin database closes (onApplicationShutdown).
    await this.listener?.close();
    await this.checking;
  }

  /** A stop received here: abort the session's runs here, then tell the others. Never throws. */
  async stop(sessionKey: string): Promise<void> {
    this.cancellations.cancel(sessionKey);
    try {
      const db = await this.database.open();
      if (db.serial) return;
      await new RunStopRepository(db).request(sessionKey);
    } catch (error) {
      // The command itself is stored and answered; only a run on another replica goes on.
      this.logger.warn(`stop of session ${logRef(sessionKey)} not passed to other replicas (code=dingtalk_database_unavailable: ${(error as Error)?.message ?? String(error)})`);
    }
  }

  /** Aborts the runs here whose job a stop was recorded for; overlapping calls share one look. */
  check(): Promise<void> {
    this.checking ??= this.lookUp().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async lookUp(): Promise<void> {
    const jobs = this.cancellations.runningJobs();
    if (jobs.length === 0 || !this.database.ready) return;
    const db = this.database.db;
    if (db.serial) return;
    try {
      const stopped = await new RunStopRepository(db).stoppedAmong(jobs);
      const aborted = stopped.length ? this.cancellations.cancelJobs(stopped) : 0;
      if (aborted > 0) this.logger.log(`stopped ${aborted} run(s) by the stop recorded for their job (its notification did not reach this replica)`);
    } catch (error) {
      // The database is away; the listener reports the outage once, and the next look comes soon.
      this.logger.debug(`looking for recorded stops failed: ${(error as Error)?.message ?? String(error)}`);
    }
  }
}
