import { Inject, Injectable, Logger } from '@nestjs/common';
import { AgentMiddlewareStrategy, type AgentMiddleware, type IAgentMiddlewareContext, type IAgentMiddlewareStrategy } from '@xpert-ai/plugin-sdk';
import type { PluginConfig } from '../config/plugin-config';
import { PluginDatabase } from '../core/plugin-database.service';
import { IntegrationResolver } from '../integration/integration-resolver';
import { DingTalkClientRegistry } from '../integration/client-registry';
import { DINGTALK_CLOCK, DINGTALK_PLUGIN_CONFIG } from '../kernel/tokens';
import type { NotifyDeps } from './notify-deps';
import { createNotifyMiddleware } from './notify-middleware.factory';
import { NOTIFY_MIDDLEWARE_NAME, notifyMiddlewareMeta } from './notify.meta';

/**
 * The DingTalk notify agent middleware: tools to send, update and recall DingTalk messages and to
 * look people up, plus the optional auto reply. Sends share the per-app client of the
 * `DingTalkClientRegistry` (one token, one rate budget per DingTalk app) and the plugin outbox.
 */
@Injectable()
@AgentMiddlewareStrategy(NOTIFY_MIDDLEWARE_NAME)
export class DingTalkNotifyMiddleware implements IAgentMiddlewareStrategy<Record<string, unknown>> {
  readonly meta = notifyMiddlewareMeta;
  private readonly deps: NotifyDeps;

  constructor(
    integrations: IntegrationResolver,
    clients: DingTalkClientRegistry,
    database: PluginDatabase,
    @Inject(DINGTALK_PLUGIN_CONFIG) config: PluginConfig,
    @Inject(DINGTALK_CLOCK) now: () => number,
  ) {
    const logger = new Logger('DingTalkNotify');
    this.deps = {
      resolveIntegration: (id) => integrations.resolve(id),
      clientFor: (options) => clients.forOptions(options),
      openDatabase: () => database.open(),
      hosts: { apiBaseUrl: config.apiBaseUrl, oapiBaseUrl: config.oapiBaseUrl, ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}) },
      now,
      logger: { debug: (message) => logger.debug(message), warn: (message) => logger.warn(message) },
    };
  }

  /** Works with `context.node === null` (the studio listing tools): nothing is resolved until a tool runs. */
  createMiddleware(options: Record<string, unknown>, context: IAgentMiddlewareContext): AgentMiddleware {
    return createNotifyMiddleware(this.deps, options, context);
  }
}
