import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import type { PluginConfig } from '../config/plugin-config';
import { PluginDatabase } from '../core/plugin-database.service';
import { WorkerStartGate } from '../handoff/worker-start-gate';
import { InboxRepository } from '../persistence';
import { DINGTALK_CLOCK, DINGTALK_PLUGIN_CONFIG } from '../kernel/tokens';
import { IntakeService } from './intake.service';
import { IntakeSpool } from './spool-file';
import { failureLabel, spooledRecord, type SpoolEntry } from './spool-format';
import { logRef, logValue } from '../kernel/log-value';
import { TaskLoop } from '../kernel/task-loop';

/**
 * Moves spooled events into the inbox as soon as the database answers, and removes them. Exactly
 * once by the inbox key: an entry written again after a crash mid-drain (or an event also delivered
 * directly) is a no-op duplicate. Runs at boot — the worker waits for that first pass, so a replica
 * gives its own acknowledged events their jobs before it claims work — then every
 * `spool.drainIntervalMs` while anything is spooled.
 *
 * Each event keeps the arrival time it was spooled with, so it takes its place in its chat's order
 * even when another replica stored a later message of that chat first; and, like everything enqueued
 * right after an outage, it is held for `spool.settleMs` (settledRunAt) so that the other replicas'
 * spools are drained before the chat's next answer starts.
 *
 * An entry the database refuses while it otherwise answers stays in the spool (and in `lastError`)
 * without holding up the entries behind it.
 */
@Injectable()
export class SpoolDrainer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('DingTalkSpool');
  private readonly inbox = new InboxRepository();
  private readonly booted: Promise<void>;
  private markBooted!: () => void;
  private readonly draining = new TaskLoop<number>(() => this.pass(this.spool!));

  constructor(
    private readonly database: PluginDatabase,
    private readonly intake: IntakeService,
    @Inject(DINGTALK_PLUGIN_CONFIG) private readonly config: PluginConfig,
    @Optional() @Inject(IntakeSpool) private readonly spool?: IntakeSpool | null,
    @Optional() gate?: WorkerStartGate,
    @Optional() @Inject(DINGTALK_CLOCK) private readonly now: () => number = Date.now,
  ) {
    this.booted = new Promise((resolve) => (this.markBooted = resolve));
    if (this.spool) gate?.hold(this.booted);
    else this.markBooted();
  }

  onApplicationBootstrap(): void {
    if (!this.spool) return;
    // Not awaited: a large spool or a slow database must not hold up the server start.
    void this.boot();
  }

  async onModuleDestroy(): Promise<void> {
    await this.draining.stop();
    await this.spool?.close().catch(() => undefined);
  }

  /** One pass over every closed segment; resolves with how many events became jobs. */
  drain(): Promise<number> {
    if (!this.spool) return Promise.resolve(0);
    return this.draining.run() ?? Promise.resolve(0);
  }

  private async boot(): Promise<void> {
    try {
      await this.spool!.open();
      const { depth } = this.spool!.status();
      if (depth > 0) this.logger.log(`intake spool holds ${depth} event(s) from an earlier run; draining before the worker starts`);
      await this.drain();
    } catch (error) {
      this.logger.warn(`intake spool not drained at boot (${failureLabel(error)}); retrying every ${this.config.spool.drainIntervalMs} ms`);
    } finally {
      this.markBooted();
    }
    this.draining.every(this.config.spool.drainIntervalMs, () => {
      if (this.spool!.status().depth > 0) this.drain().catch((error) => this.logger.debug(`intake spool drain deferred: ${failureLabel(error)}`));
    });
  }

  private async pass(spool: IntakeSpool): Promise<number> {
    const segments = await spool.sealed();
    if (segments.length === 0) return 0;
    const db = await this.database.open();
    const runAt = this.intake.settledRunAt(this.now());
    let accepted = 0;
    let refused: string | undefined;
    for (const segment of segments) {
      const entries = await spool.read(segment);
      const remaining: SpoolEntry[] = [];
      let down = false;
      for (const [index, entry] of entries.entries()) {
        try {
          if ((await this.inbox.acceptAtomic(db, spooledRecord(entry, runAt))).accepted) accepted += 1;
        } catch (error) {
          if (!(await this.inbox.answers(db))) {
            remaining.push(...entries.slice(index));
            down = true;
            break;
          }
          refused = 'dingtalk_spool_entry_refused';
          remaining.push(entry);
          this.logger.error(`intake spool: the database refused event ${logRef(entry.record.eventId)} of integration ${logValue(entry.record.integrationId)} (${failureLabel(error)}); kept in the spool`);
        }
      }
      // Unchanged (the database went away at the first entry): nothing to rewrite.
      if (remaining.length !== entries.length || entries.length === 0) await spool.settle(segment, remaining);
      if (down) {
        spool.noteError('dingtalk_database_unavailable');
        if (accepted > 0) this.intake.notifyWorker();
        return accepted;
      }
    }
    spool.noteError(refused);
    if (accepted > 0) {
      this.intake.notifyWorker();
      this.logger.log(`intake spool: ${accepted} event(s) moved into the inbox`);
    }
    return accepted;
  }
}
