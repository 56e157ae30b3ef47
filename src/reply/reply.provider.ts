import { Logger, type Provider } from '@nestjs/common';
import type { PluginConfig } from '../config/plugin-config';
import { PluginDatabase } from '../core/plugin-database.service';
import type { Queryable } from '../persistence';
import { IntegrationResolver } from '../integration/integration-resolver';
import { DingTalkClientRegistry } from '../integration/client-registry';
import { DINGTALK_CLOCK, DINGTALK_PLUGIN_CONFIG } from '../kernel/tokens';
import { ReplyService } from './reply.service';
import { REPLY_PORT } from './reply.tokens';

/**
 * The reply path as a Nest provider. The database is opened lazily (the provider is built before
 * bootstrap has migrated), and clients come from the shared registry so replies share each app's
 * token and rate budget with every other DingTalk call of this process.
 */
export const replyPortProvider: Provider = {
  provide: REPLY_PORT,
  inject: [PluginDatabase, IntegrationResolver, DingTalkClientRegistry, DINGTALK_PLUGIN_CONFIG, DINGTALK_CLOCK],
  useFactory: (database: PluginDatabase, integrations: IntegrationResolver, clients: DingTalkClientRegistry, config: PluginConfig, now: () => number) => {
    const db: Queryable = { query: async (sql, params) => (await database.open()).query(sql, params) };
    const templates = new Map<string, string | undefined>();
    const modes = new Map<string, 'STREAM' | 'HTTP'>();
    return new ReplyService({
      db,
      client: async (integrationId) => {
        const integration = await integrations.resolve(integrationId);
        templates.set(integrationId, integration.options.cardTemplateId);
        modes.set(integrationId, integration.options.mode === 'http' ? 'HTTP' : 'STREAM');
        return clients.forOptions(integration.options);
      },
      // Read after client() resolved the integration for the same reply, so the values are current.
      cardTemplateId: (integrationId) => templates.get(integrationId),
      cardCallbackType: (integrationId) => modes.get(integrationId),
      hosts: { apiBaseUrl: config.apiBaseUrl, oapiBaseUrl: config.oapiBaseUrl },
      now,
      logger: new Logger('DingTalkReply'),
    });
  },
};
