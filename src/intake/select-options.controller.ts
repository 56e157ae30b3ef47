import { Controller, Get, Query, UseFilters } from '@nestjs/common';
import { PluginDatabase } from '../core/plugin-database.service';
import { DingTalkError } from '../kernel/errors';
import { DingTalkErrorFilter } from '../http/error.filter';
import { DingTalkClientRegistry } from '../integration/client-registry';
import { listUsers } from '../notify/user-directory';
import { AccessRepository } from '../persistence';
import { IntegrationResolver } from '../integration/integration-resolver';

export interface SelectOption {
  value: string;
  label: string;
  description?: string;
}

const MAX_USER_OPTIONS = 100;

/**
 * Option lists for the trigger's access fields (studio `remoteSelect`, authenticated by the host's
 * guard): the organisation's people from the directory walk, and the groups the bot has seen.
 */
@Controller('dingtalk')
@UseFilters(DingTalkErrorFilter)
export class SelectOptionsController {
  constructor(
    private readonly integrations: IntegrationResolver,
    private readonly clients: DingTalkClientRegistry,
    private readonly database: PluginDatabase,
  ) {}

  @Get('user-select-options')
  async users(@Query('integration') integrationId?: string, @Query('keyword') keyword?: string): Promise<SelectOption[]> {
    const integration = await this.integrations.resolve(requireIntegration(integrationId));
    const page = await listUsers(this.clients.forOptions(integration.options), { ...(keyword ? { keyword } : {}), limit: MAX_USER_OPTIONS });
    return page.users.map((user) => ({ value: user.user_id, label: user.name, description: user.title ? `${user.title} · ${user.user_id}` : user.user_id }));
  }

  @Get('chat-select-options')
  async groups(@Query('integration') integrationId?: string): Promise<SelectOption[]> {
    const integration = await this.integrations.resolve(requireIntegration(integrationId));
    const groups = await new AccessRepository(await this.database.open()).groups(integration.id);
    return groups.map((group) => ({ value: group.conversationId, label: group.title || group.conversationId, description: group.conversationId }));
  }
}

function requireIntegration(value: string | undefined): string {
  const id = typeof value === 'string' ? value.trim() : '';
  if (!id) throw new DingTalkError('dingtalk_select_integration_missing', 'Choose the DingTalk integration first; the list needs `integration=<id>`.', 400);
  return id;
}
