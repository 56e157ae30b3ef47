import { Controller, Get, Inject, Optional, Param, UseFilters } from '@nestjs/common';
import { ConversationEngine } from '../conversation/conversation.engine';
import { DingTalkErrorFilter } from '../http/error.filter';
import { IntegrationResolver } from './integration-resolver';
import { IntakeSpool } from './spool-file';
import { StreamReceiver } from './stream.receiver';
import { assertInCallerScope } from './tenant-scope';

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
    @Optional() @Inject(IntakeSpool) private readonly spool?: IntakeSpool | null,
  ) {}

  @Get(':integrationId')
  async status(@Param('integrationId') integrationId: string) {
    const integration = await this.integrations.resolve(integrationId);
    assertInCallerScope(integration);
    // threads-api | host-dispatch | host-callback; null while no expert can answer here.
    const runner = await this.engine.runnerOf(integration).catch(() => null);
    if (integration.options.mode === 'http') {
      return { integrationId, mode: 'http', state: 'webhook', note: 'HTTP mode has no connection; DingTalk calls the webhook URL.', runner, spool: this.spoolStatus() };
    }
    const status = this.receiver.status(integrationId);
    return { integrationId, mode: 'stream', ...(status ?? { state: 'idle', reconnectCount: 0 }), runner, spool: this.spoolStatus() };
  }

  private spoolStatus() {
    return this.spool ? { enabled: true, ...this.spool.status() } : { enabled: false, depth: 0, bytes: 0 };
  }
}
