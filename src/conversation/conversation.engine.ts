import { Inject, Injectable, Logger, type Provider } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { PluginConfig } from '../config/plugin-config';
import { PluginDatabase } from '../core/plugin-database.service';
import { JOB_HANDLERS, type JobHandler } from '../handoff/job-handler.port';
import { WorkerService } from '../handoff/worker.service';
import { IntegrationResolver } from '../intake/integration-resolver';
import { DingTalkClientRegistry } from '../integration/client-registry';
import type { ReplyPort } from '../reply/reply.port';
import { REPLY_PORT } from '../reply/reply.tokens';
import { defaultXpertApiBaseUrl, RunnerSelector } from '../runner/runner.selector';
import { DingTalkTriggerStrategy } from '../trigger/dingtalk-trigger.strategy';
import { TriggerCallbacks } from '../trigger/trigger-callbacks';
import { DINGTALK_CLOCK, DINGTALK_PLUGIN_CONFIG } from '../tokens';
import type { ConversationDeps } from './conversation.deps';
import { createJobHandlers } from './job-handlers.factory';

/**
 * Nest face of the conversation engine: wires the plugin's database, integration resolver, reply
 * port, DingTalk clients, trigger callbacks, config and clock into the plain job handlers.
 */
@Injectable()
export class ConversationEngine {
  readonly deps: ConversationDeps;
  readonly runners: RunnerSelector;
  readonly handlers: JobHandler[];
  private readonly logger = new Logger('DingTalkConversation');

  constructor(
    database: PluginDatabase,
    integrations: IntegrationResolver,
    @Inject(REPLY_PORT) reply: ReplyPort,
    clients: DingTalkClientRegistry,
    callbacks: TriggerCallbacks,
    @Inject(DINGTALK_PLUGIN_CONFIG) config: PluginConfig,
    @Inject(DINGTALK_CLOCK) now: () => number,
    private readonly moduleRef: ModuleRef,
  ) {
    this.runners = new RunnerSelector({ callbacks, defaultApiBaseUrl: defaultXpertApiBaseUrl(config.xpertApiBaseUrl), logger: this.logger });
    this.deps = {
      database,
      integrations,
      reply,
      runners: this.runners,
      files: (integration) => clients.forOptions(integration.options),
      now,
      publicBaseUrl: config.publicBaseUrl,
      logger: this.logger,
      wake: () => this.wakeWorker(),
      recordPatienceMs: Math.max(30_000, Math.floor((config.worker.leaseMs * 2) / 3)),
    };
    this.handlers = createJobHandlers(this.deps);
  }

  /**
   * Looked up lazily: the worker is built from JOB_HANDLERS, i.e. from this engine, so injecting it
   * here would be a constructor cycle.
   */
  private wakeWorker(): void {
    try {
      this.moduleRef.get(WorkerService, { strict: false })?.notify();
    } catch {
      // No worker in this process (disabled, or not registered): its poll — or another replica's — runs the job.
    }
  }
}

/** The JOB_HANDLERS provider for the worker, when the conversation engine's handlers are all there is. */
export const conversationJobHandlersProvider: Provider = {
  provide: JOB_HANDLERS,
  useFactory: (engine: ConversationEngine) => engine.handlers,
  inject: [ConversationEngine],
};

/** Everything this part adds to the plugin module (the REPLY_PORT provider comes from the reply path). */
export const CONVERSATION_PROVIDERS: Provider[] = [TriggerCallbacks, DingTalkTriggerStrategy, ConversationEngine, conversationJobHandlersProvider];
