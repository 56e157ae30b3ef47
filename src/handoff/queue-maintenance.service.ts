import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import type { PluginConfig } from '../config/plugin-config';
import { PluginDatabase } from '../core/plugin-database.service';
import { QueueLifecycleRepository } from '../persistence';
import { DINGTALK_CLOCK, DINGTALK_PLUGIN_CONFIG } from '../kernel/tokens';
import { QueueMaintenance } from './queue-maintenance';

/**
 * Nest face of the queue housekeeping: starts the loop once the plugin database is open, stops it
 * with the module. Every replica runs it; the advisory lock lets one of them work per round.
 */
@Injectable()
export class QueueMaintenanceService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('DingTalkQueue');
  private maintenance?: QueueMaintenance;
  private destroyed = false;

  constructor(
    private readonly database: PluginDatabase,
    @Inject(DINGTALK_PLUGIN_CONFIG) private readonly config: PluginConfig,
    @Optional() @Inject(DINGTALK_CLOCK) private readonly clock?: () => number,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.queue.maintenanceIntervalMs <= 0 || this.destroyed) return;
    // The database is opened per round: one that is down at boot is just a failed round, tried again.
    const database = this.database;
    this.maintenance = new QueueMaintenance({
      repository: { sweep: async (cutoffs) => new QueueLifecycleRepository(await database.open()).sweep(cutoffs) },
      inboxRetentionDays: this.config.inboxRetentionDays,
      doneRetentionHours: this.config.queue.doneRetentionHours,
      intervalMs: this.config.queue.maintenanceIntervalMs,
      now: this.clock ? () => new Date(this.clock!()) : undefined,
      logger: this.logger,
    });
    this.maintenance.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.destroyed = true;
    await this.maintenance?.stop();
  }

  /** The last round on this replica and totals since start; undefined while off. */
  stats(): QueueMaintenance['stats'] | undefined {
    return this.maintenance?.stats;
  }
}
