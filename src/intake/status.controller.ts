import { Controller, Get, Inject, Optional, Param, UseFilters } from '@nestjs/common';
import { ConversationEngine } from '../conversation/conversation.engine';
import { PluginDatabase } from '../core/plugin-database.service';
import { DingTalkErrorFilter } from '../http/error.filter';
import { AccessRepository, QueueLifecycleRepository, type IntegrationQueueFigures, type RefusalRecord } from '../persistence';
import { IntegrationResolver } from '../integration/integration-resolver';
import { IntakeSpool } from './spool-file';
import { StreamReceiver } from './stream.receiver';
import { assertInCallerScope } from '../integration/tenant-scope';

/**
 * Connection status for admins (authenticated by the host's guard), with this replica's intake
 * spool: events acknowledged while the database was down, waiting to be moved into the inbox.
 */
@Controller('dingtalk/status')
@UseFilters(DingTalkErrorFilter)
export class StatusController {
  constructor(
    private readonly integrations: IntegrationResolver,
    private readonly receiver: StreamReceiver,
    private readonly engine: ConversationEngine,
    private readonly database: PluginDatabase,
    @Optional() @Inject(IntakeSpool) private readonly spool?: IntakeSpool | null,
  ) {}

  @Get(':integrationId')
  async status(@Param('integrationId') integrationId: string) {
    const integration = await this.integrations.resolve(integrationId);
    assertInCallerScope(integration);
    // threads-api | host-dispatch | host-callback; null while no expert can answer here.
    const runner = await this.engine.runnerOf(integration).catch(() => null);
    const queue = await this.queue(integration.id);
    const refusals = await this.refusals(integration.id);
    if (integration.options.mode === 'http') {
      return { integrationId, mode: 'http', state: 'webhook', note: 'HTTP mode has no connection; DingTalk calls the webhook URL.', runner, queue, spool: this.spoolStatus(), refusals };
    }
    const status = this.receiver.status(integrationId);
    return { integrationId, mode: 'stream', ...(status ?? { state: 'idle', reconnectCount: 0 }), runner, queue, spool: this.spoolStatus(), refusals };
  }

  private spoolStatus() {
    return this.spool ? { enabled: true, ...this.spool.status() } : { enabled: false, depth: 0, bytes: 0 };
  }

  /** This integration's jobs by status (dead letters: see /dingtalk/queue/:id/dead); null while the database is down. */
  private async queue(integrationId: string): Promise<IntegrationQueueFigures | null> {
    try {
      return await new QueueLifecycleRepository(await this.database.open()).figures(integrationId);
    } catch {
      return null;
    }
  }

  /** Who the trigger's access settings turned away, most recent first; null when the database is unreachable. */
  private async refusals(integrationId: string): Promise<{ total: number; recent: RefusalRecord[] } | null> {
    try {
      return await new AccessRepository(await this.database.open()).refusals(integrationId);
    } catch {
      return null;
    }
  }
}
