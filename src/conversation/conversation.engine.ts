import { Inject, Injectable, Logger, Optional, type Provider } from '@nestjs/common';
import type { PluginConfig } from '../config/plugin-config';
import { PluginDatabase } from '../core/plugin-database.service';
import { JOB_HANDLERS, type JobHandler } from '../handoff/job-handler.port';
import { WorkerWake } from '../handoff/worker-wake';
import { IntegrationResolver } from '../integration/integration-resolver';
import { DingTalkClientRegistry } from '../integration/client-registry';
import type { ReplyPort } from '../reply/reply.port';
import { REPLY_PORT } from '../reply/reply.tokens';
import { asHandoffQueue, HANDOFF_QUEUE_SERVICE_TOKEN, type HandoffQueueService } from '../host/handoff.contract';
import type { DingTalkIntegration } from '../kernel/integration';
import { defaultXpertApiBaseUrl, RunnerSelector, type RunnerKind } from '../runner/runner.selector';
import { DingTalkTriggerStrategy } from '../trigger/dingtalk-trigger.strategy';
import { TriggerCallbacks } from '../trigger/trigger-callbacks';
import { DINGTALK_CLOCK, DINGTALK_PLUGIN_CONFIG, DINGTALK_PLUGIN_CONTEXT } from '../kernel/tokens';
import { ConversationCore, type ConversationDeps } from './conversation.deps';
import { RunCancellations } from './run-cancellations';
import { StopBroadcast } from './stop-broadcast.service';
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
    @Optional() private readonly workerWake?: WorkerWake,
    @Optional() @Inject(DINGTALK_PLUGIN_CONTEXT) private readonly pluginContext?: { resolve?: (token: unknown) => unknown },
    @Optional() cancellations?: RunCancellations,
  ) {
    this.runners = new RunnerSelector({
      callbacks,
      defaultApiBaseUrl: defaultXpertApiBaseUrl(config.xpertApiBaseUrl),
      logger: this.logger,
      handoffQueue: () => this.handoffQueue(),
    });
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
      cancellations: cancellations ?? new RunCancellations(),
      recordPatienceMs: Math.max(30_000, Math.floor((config.worker.leaseMs * 2) / 3)),
    };
    this.handlers = createJobHandlers(this.deps);
  }

  /** Which runner answers the integration's turns now, or null (none: not connected / no callback here). */
  async runnerOf(integration: Pick<DingTalkIntegration, 'id' | 'options'>): Promise<RunnerKind | null> {
    const core = await ConversationCore.open(this.deps);
    const trigger = await core.router.trigger(integration.id);
    const xpertId = trigger?.enabled ? trigger.xpertId : integration.options.xpertId;
    if (!xpertId) return null;
    return this.runners.kind(xpertId, await core.router.runnerConfig(xpertId, trigger));
  }

  /**
   * The host's handoff queue (3.17), asked of the plugin context on each use: `resolve` throws on
   * a 3.7 host and without the handoff permission, which means "not this runner". Once found it is
   * kept.
   */
  private handoffQueue(): HandoffQueueService | undefined {
    if (this.queue) return this.queue;
    const resolve = this.pluginContext?.resolve;
    if (typeof resolve !== 'function') return undefined;
    try {
      this.queue = asHandoffQueue(resolve.call(this.pluginContext, HANDOFF_QUEUE_SERVICE_TOKEN));
    } catch {
      this.queue = undefined;
    }
    return this.queue;
  }

  private queue?: HandoffQueueService;

  /** Rings the worker's doorbell: the worker listens on it, so the engine needs no reference to the worker. */
  private wakeWorker(): void {
    this.workerWake?.ring();
  }
}

/** The JOB_HANDLERS provider for the worker, when the conversation engine's handlers are all there is. */
export const conversationJobHandlersProvider: Provider = {
  provide: JOB_HANDLERS,
  useFactory: (engine: ConversationEngine) => engine.handlers,
  inject: [ConversationEngine],
};

/** Everything this part adds to the plugin module (the REPLY_PORT provider comes from the reply path). */
export const CONVERSATION_PROVIDERS: Provider[] = [TriggerCallbacks, DingTalkTriggerStrategy, ConversationEngine, conversationJobHandlersProvider, RunCancellations, StopBroadcast];
