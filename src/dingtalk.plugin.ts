import { Logger } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { IOnPluginBootstrap, IOnPluginDestroy, XpertServerPlugin } from '@xpert-ai/plugin-sdk';
import { CONVERSATION_PROVIDERS } from './conversation';
import { PluginDatabase } from './core/plugin-database.service';
import { DingTalkChatCallbackProcessor } from './dispatch/chat-callback.processor';
import { DeliveryUpkeepService } from './delivery/delivery-upkeep.service';
import { DeadLetterController } from './handoff/dead-letter.controller';
import { QueueMaintenanceService } from './handoff/queue-maintenance.service';
import { WorkerService } from './handoff/worker.service';
import { WorkerStartGate } from './handoff/worker-start-gate';
import { WorkerWake } from './handoff/worker-wake';
import { BodyErrorMiddleware } from './http/body-error.middleware';
import { HostIntegrationRecords } from './host/host-integration-records';
import { IntegrationRecords } from './host/integration-records.port';
import { ActionController } from './intake/action.controller';
import { IntakeService } from './intake/intake.service';
import { IntegrationResolver } from './integration/integration-resolver';
import { SpoolDrainer } from './intake/spool.drainer';
import { intakeSpoolProvider } from './intake/spool.provider';
import { StatusController } from './intake/status.controller';
import { SelectOptionsController } from './intake/select-options.controller';
import { StreamReceiver } from './intake/stream.receiver';
import { StreamConnections } from './integration/stream-connections.port';
import { WebhookController } from './intake/webhook.controller';
import { CardRouteService } from './integration/card-route.service';
import { DingTalkClientRegistry } from './integration/client-registry';
import { DingTalkIntegrationStrategy } from './integration/dingtalk-integration.strategy';
import { DingTalkLongIntegrationStrategy } from './integration/dingtalk-long-integration.strategy';
import { IntegrationTestController } from './integration/integration-test.controller';
import { StreamIntegrationTestController } from './integration/stream-integration-test.controller';
import { IntegrationTestListener, IntegrationTestService } from './integration/integration-test.service';
import { DingTalkNotifyMiddleware } from './notify';
import { replyPortProvider } from './reply/reply.provider';

// Wiring only: every provider the host should tag and discover is listed here.
@XpertServerPlugin({
  imports: [DiscoveryModule],
  controllers: [IntegrationTestController, WebhookController, ActionController, StatusController, StreamIntegrationTestController, DeadLetterController, SelectOptionsController],
  providers: [
    PluginDatabase,
    BodyErrorMiddleware,
    { provide: IntegrationRecords, useClass: HostIntegrationRecords },
    IntegrationResolver,
    DingTalkClientRegistry,
    WorkerStartGate,
    WorkerWake,
    intakeSpoolProvider,
    IntakeService,
    SpoolDrainer,
    StreamReceiver,
    { provide: IntegrationTestListener, useExisting: StreamReceiver },
    { provide: StreamConnections, useExisting: StreamReceiver },
    IntegrationTestService,
    CardRouteService,
    DingTalkIntegrationStrategy,
    DingTalkLongIntegrationStrategy,
    replyPortProvider,
    ...CONVERSATION_PROVIDERS,
    WorkerService,
    QueueMaintenanceService,
    DingTalkNotifyMiddleware,
    DingTalkChatCallbackProcessor,
    DeliveryUpkeepService,
  ],
  exports: [PluginDatabase, IntegrationRecords, IntegrationResolver, DingTalkClientRegistry, IntakeService, StreamReceiver, WorkerService],
})
export class DingTalkPluginModule implements IOnPluginBootstrap, IOnPluginDestroy {
  private readonly logger = new Logger('DingTalkPlugin');

  constructor(private readonly database: PluginDatabase) {}

  /** The host calls this from its own module init; migrations run here, before any traffic. */
  async onPluginBootstrap(): Promise<void> {
    try {
      await this.database.open();
    } catch (error) {
      // A database problem must not take the whole Xpert server down; intake answers 503 meanwhile
      // and the next request or worker tick tries to open it again.
      this.logger.error(`DingTalk plugin database unavailable (${(error as Error).message}).`);
    }
  }

  onPluginDestroy(): void {
    this.logger.log('DingTalk plugin stopping');
  }
}
