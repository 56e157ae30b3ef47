import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { PluginConfig } from '../config/plugin-config';
import { PluginDatabase } from '../core/plugin-database.service';
import { IntegrationResolver } from '../integration/integration-resolver';
import { DingTalkClientRegistry } from '../integration/client-registry';
import { AppBudgetRepository } from '../persistence/app-budget.repository';
import { OutboxRepository } from '../persistence/outbox.repository';
import { DINGTALK_PLUGIN_CONFIG } from '../kernel/tokens';
import { AbandonedCardSweeper } from './abandoned-card.sweeper';
import { staleAfterMs } from './app-budget';
import { BudgetHeartbeat } from './budget.heartbeat';
import { PROCESS_REPLICA_ID } from './replica-id';

/** The client's permit hold: its one-second window plus guard (see RollingWindowRateLimiter). */
const PERMIT_HOLD_MS = 1050;

/**
 * What keeps delivery right across replicas, in the background: the API budget heartbeat (each
 * replica's share of every app's per-API limit) and the sweep that finalizes cards dead replicas
 * left streaming (at boot, then periodically). Both wait for the database without blocking boot.
 */
@Injectable()
export class DeliveryUpkeepService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('DingTalkDelivery');
  private readonly heartbeat: BudgetHeartbeat;
  private readonly sweeper: AbandonedCardSweeper;
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    private readonly database: PluginDatabase,
    private readonly clients: DingTalkClientRegistry,
    private readonly integrations: IntegrationResolver,
    @Inject(DINGTALK_PLUGIN_CONFIG) private readonly config: PluginConfig,
  ) {
    const heartbeatMs = config.delivery.budgetHeartbeatMs;
    this.heartbeat = new BudgetHeartbeat({
      repository: async () => new AppBudgetRepository(await this.database.open()),
      replicaId: PROCESS_REPLICA_ID,
      clients: () => this.clients.all(),
      timing: { heartbeatMs, permitHoldMs: PERMIT_HOLD_MS },
      now: Date.now,
      logger: this.logger,
    });
    this.sweeper = new AbandonedCardSweeper({
      outbox: async () => new OutboxRepository(await this.database.open()),
      replicaId: PROCESS_REPLICA_ID,
      clientFor: async (integrationId) => this.clients.forOptions((await this.integrations.resolve(integrationId)).options),
      staleMs: staleAfterMs(heartbeatMs),
      graceMs: config.delivery.cardAbandonAfterMs,
      logger: this.logger,
    });
  }

  onApplicationBootstrap(): void {
    // Also with limiting off: the heartbeat is how the other replicas know this one lives.
    this.clients.onCreated((client) => this.heartbeat.track(client));
    for (const client of this.clients.all()) this.heartbeat.track(client);
    this.heartbeat.start();
    const sweep = () => void this.sweeper.sweep().catch((error: Error) => this.logger.warn(`abandoned card sweep failed (${error.message}); next sweep in ${this.config.delivery.cardSweepIntervalMs} ms`));
    sweep();
    this.sweepTimer = setInterval(sweep, this.config.delivery.cardSweepIntervalMs);
    this.sweepTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    await this.heartbeat.stop();
  }
}
