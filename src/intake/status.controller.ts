import { Controller, Get, Param, UseFilters } from '@nestjs/common';
import { ConversationEngine } from '../conversation/conversation.engine';
import { PluginDatabase } from '../core/plugin-database.service';
import { DingTalkError } from '../errors';
import { DingTalkErrorFilter } from '../http/error.filter';
import { QueueLifecycleRepository, TriggerBindingRepository, type IntegrationQueueFigures } from '../persistence';
import type { RunnerKind } from '../runner/runner.selector';
import { DingTalkIntegration, IntegrationResolver } from './integration-resolver';
import { StreamReceiver } from './stream.receiver';

/** Connection status for admins (authenticated by the host's guard). */
@Controller('dingtalk/status')
@UseFilters(DingTalkErrorFilter)
export class StatusController {
  constructor(
    private readonly integrations: IntegrationResolver,
    private readonly receiver: StreamReceiver,
    private readonly database: PluginDatabase,
    private readonly engine: ConversationEngine,
  ) {}

  @Get(':integrationId')
  async status(@Param('integrationId') integrationId: string) {
    const integration = await this.integrations.resolve(integrationId);
    const runner = await this.runner(integration);
    const queue = await this.queue(integration.id);
    if (integration.options.mode === 'http') {
      return { integrationId, mode: 'http', state: 'webhook', runner, queue, note: 'HTTP mode has no connection; DingTalk calls the webhook URL.' };
    }
    const status = this.receiver.status(integrationId);
    return { integrationId, mode: 'stream', runner, queue, ...(status ?? { state: 'idle', reconnectCount: 0 }) };
  }

  /** This integration's jobs by status (dead letters: see /dingtalk/queue/:id/dead); null while the database is down. */
  private async queue(integrationId: string): Promise<IntegrationQueueFigures | null> {
    try {
      return await new QueueLifecycleRepository(await this.database.open()).figures(integrationId);
    } catch {
      return null;
    }
  }

  /** The runner the bound (or fallback) expert's turns use on this replica; null when none. */
  private async runner(integration: DingTalkIntegration): Promise<RunnerKind | null> {
    try {
      const bindings = new TriggerBindingRepository(await this.database.open());
      const bound = await bindings.findByIntegration(integration.id);
      const binding = bound?.enabled ? bound : null;
      const xpertId = binding?.xpertId ?? integration.options.xpertId;
      if (!xpertId) return null;
      const config = binding?.config ?? (await bindings.findByXpert(xpertId)).find((b) => b.enabled)?.config ?? null;
      return this.engine.runners.kindFor(xpertId, config);
    } catch (error) {
      if (error instanceof DingTalkError && error.httpStatus < 500) throw error;
      return null;
    }
  }
}
