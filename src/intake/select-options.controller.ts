import { Controller, Get, Query, UseFilters } from '@nestjs/common';
import { PluginDatabase } from '../core/plugin-database.service';
import { DingTalkError } from '../kernel/errors';
import { DingTalkErrorFilter } from '../http/error.filter';
import { DingTalkClientRegistry } from '../integration/client-registry';
import { listUsers } from '../notify/user-directory';
import { AccessRepository } from '../persistence';
import { IntegrationResolver } from '../integration/integration-resolver';
import { IntegrationRecords } from '../host/integration-records.port';
import { assertInCallerScope, inCallerScope } from '../integration/tenant-scope';
import { PROVIDER_NAMES, STREAM_PROVIDER_NAME } from '../kernel/tokens';
import type { DingTalkIntegration } from '../kernel/integration';

export interface SelectOption {
  value: string;
  label: string;
  description?: string;
}

const MAX_USER_OPTIONS = 100;

/**
 * Option lists for the studio's `remoteSelect` fields, authenticated by the host's guard and limited
 * to the caller's tenant (and organization) like every admin route: the DingTalk integrations of
 * both providers (the host's own list takes one provider, and 0.0.9 saved Stream bots as
 * `dingtalk_long`), the organisation's people from the directory walk, and the groups the bot has seen.
 */
@Controller('dingtalk')
@UseFilters(DingTalkErrorFilter)
export class SelectOptionsController {
  constructor(
    private readonly integrations: IntegrationResolver,
    private readonly clients: DingTalkClientRegistry,
    private readonly database: PluginDatabase,
    private readonly records: IntegrationRecords,
  ) {}

  @Get('integration-select-options')
  async integrationOptions(): Promise<SelectOption[]> {
    const records = (await Promise.all(PROVIDER_NAMES.map((provider) => this.records.listByProvider(provider)))).flat();
    return records
      .filter(inCallerScope)
      .map((record) => ({ value: record.id, label: record.name || record.id, description: record.provider === STREAM_PROVIDER_NAME ? 'DingTalk · Stream (dingtalk_long)' : 'DingTalk' }))
      .sort((a, b) => a.label.localeCompare(b.label));
  }

  @Get('user-select-options')
  async users(@Query('integration') integrationId?: string, @Query('keyword') keyword?: string): Promise<SelectOption[]> {
    const integration = await this.scoped(integrationId);
    const page = await listUsers(this.clients.forOptions(integration.options), { ...(keyword ? { keyword } : {}), limit: MAX_USER_OPTIONS });
    return page.users.map((user) => ({ value: user.user_id, label: user.name, description: user.title ? `${user.title} · ${user.user_id}` : user.user_id }));
  }

  @Get('chat-select-options')
  async groups(@Query('integration') integrationId?: string): Promise<SelectOption[]> {
    const integration = await this.scoped(integrationId);
    const groups = await new AccessRepository(await this.database.open()).groups(integration.id);
    return groups.map((group) => ({ value: group.conversationId, label: group.title || group.conversationId, description: group.conversationId }));
  }

  /** Another tenant's integration is as unknown here as on the status route: its directory stays closed. */
  private async scoped(integrationId: string | undefined): Promise<DingTalkIntegration> {
    const integration = await this.integrations.resolve(requireIntegration(integrationId));
    assertInCallerScope(integration);
    return integration;
  }
}

function requireIntegration(value: string | undefined): string {
  const id = typeof value === 'string' ? value.trim() : '';
  if (!id) throw new DingTalkError('dingtalk_select_integration_missing', 'Choose the DingTalk integration first; the list needs `integration=<id>`.', 400);
  return id;
}
