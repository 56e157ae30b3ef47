import { Module, type INestApplicationContext } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import { StrategyBus, WorkflowTriggerRegistry } from '@xpert-ai/plugin-sdk';
import { parsePluginConfig } from '../../../src/config/plugin-config';
import { ConversationEngine, CONVERSATION_PROVIDERS } from '../../../src/conversation';
import { PluginDatabase } from '../../../src/core/plugin-database.service';
import { JOB_HANDLERS, type JobHandler } from '../../../src/handoff/job-handler.port';
import { WorkerService } from '../../../src/handoff/worker.service';
import { WorkerWake } from '../../../src/handoff/worker-wake';
import { IntegrationRecords } from '../../../src/host/integration-records.port';
import { IntegrationResolver } from '../../../src/integration/integration-resolver';
import { DingTalkClientRegistry } from '../../../src/integration/client-registry';
import { REPLY_PORT } from '../../../src/reply/reply.tokens';
import { DINGTALK_CLOCK, DINGTALK_PLUGIN_CONFIG } from '../../../src/kernel/tokens';
import { DingTalkTriggerStrategy } from '../../../src/trigger/dingtalk-trigger.strategy';
import { TriggerCallbacks } from '../../../src/trigger/trigger-callbacks';
import { MemoryIntegrationRecords, RecordingReply } from './support/fakes';

/** The providers the plugin module must list for this part, resolved by Nest as the host would. */
describe('Nest wiring of the conversation engine and the trigger', () => {
  let app: INestApplicationContext;
  const worker = { notify: jest.fn() };

  beforeAll(async () => {
    @Module({
      imports: [DiscoveryModule],
      providers: [
        StrategyBus,
        WorkflowTriggerRegistry,
        { provide: DINGTALK_PLUGIN_CONFIG, useValue: parsePluginConfig({ worker: { enabled: false } }) },
        { provide: DINGTALK_CLOCK, useValue: () => Date.now() },
        { provide: PluginDatabase, useValue: { open: () => Promise.reject(new Error('no database in this test')) } },
        { provide: IntegrationRecords, useValue: new MemoryIntegrationRecords() },
        IntegrationResolver,
        DingTalkClientRegistry,
        { provide: REPLY_PORT, useValue: new RecordingReply() },
        // The real worker service (disabled), its doorbell, and a stand-in listener for what it would do.
        WorkerWake,
        WorkerService,
        ...CONVERSATION_PROVIDERS,
      ],
    })
    class WiringModule {}
    app = await NestFactory.createApplicationContext(WiringModule, { logger: false });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('resolves the engine, its job handlers under JOB_HANDLERS, and registers the trigger strategy', () => {
    const engine = app.get(ConversationEngine);
    const handlers = app.get<JobHandler[]>(JOB_HANDLERS);
    expect(handlers).toBe(engine.handlers);
    expect(handlers.map((h) => h.kind).sort()).toEqual(['card_action', 'dispatch', 'end_session', 'flush', 'message', 'platform_event', 'resume']);
    const strategy = app.get(WorkflowTriggerRegistry).get('dingtalk');
    expect(strategy).toBeInstanceOf(DingTalkTriggerStrategy);
    // One callback registry shared by the trigger (writes) and the engine's runner selector (reads).
    const callbacks = app.get(TriggerCallbacks);
    callbacks.register('xpert-1', jest.fn());
    expect(engine.runners.select('xpert-1', null, { integrationId: 'i', conversationType: 'private', conversationId: 'c', eventId: 'e', language: 'en' }).delivery).toBe('detached');
    const notify = jest.spyOn(app.get(WorkerService), 'notify');
    app.get(WorkerWake).listen(worker.notify);
    expect(worker.notify).not.toHaveBeenCalled();
    engine.deps.wake?.();
    // Waking reaches the module's worker service through the doorbell, without the engine holding it.
    expect(notify).toHaveBeenCalledTimes(1);
    expect(worker.notify).toHaveBeenCalledTimes(1);
  });
});
