import { Controller, Get, HttpCode, Param, Post, Query, Req, UseFilters } from '@nestjs/common';
import { RequestContext } from '@xpert-ai/plugin-sdk';
import { PluginDatabase } from '../core/plugin-database.service';
import { adminMessage, DingTalkError, isErrorCode } from '../kernel/errors';
import { DingTalkErrorFilter } from '../http/error.filter';
import { IntegrationResolver } from '../integration/integration-resolver';
import { DingTalkIntegration } from '../kernel/integration';
import { QueueLifecycleRepository, type DeadLetter } from '../persistence';
import { QueueMaintenanceService } from './queue-maintenance.service';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

interface AuthenticatedRequest {
  user?: { tenantId?: string | null; preferredLanguage?: string | null };
}

/**
 * Operator routes of the handoff queue (authenticated by the host's guard, like every route without
 * @Public): figures, the dead letters of one integration with their last error, and retrying one or
 * all of them. Everything is scoped to an integration of the caller's tenant; another tenant's
 * integration answers 404 as if it did not exist. Payloads are never shown (they carry messages).
 */
@Controller('dingtalk/queue')
@UseFilters(DingTalkErrorFilter)
export class DeadLetterController {
  constructor(
    private readonly integrations: IntegrationResolver,
    private readonly database: PluginDatabase,
    private readonly maintenance: QueueMaintenanceService,
  ) {}

  @Get(':integrationId')
  async figures(@Param('integrationId') integrationId: string, @Req() request: AuthenticatedRequest) {
    const integration = await this.ownIntegration(integrationId, request);
    const queue = await (await this.repository()).figures(integration.id);
    return { integrationId: integration.id, queue, maintenance: this.maintenance.stats() ?? null };
  }

  @Get(':integrationId/dead')
  async deadLetters(@Param('integrationId') integrationId: string, @Query('limit') limit: string | undefined, @Req() request: AuthenticatedRequest) {
    const integration = await this.ownIntegration(integrationId, request);
    const items = await (await this.repository()).deadLetters(integration.id, parseLimit(limit));
    const language = request.user?.preferredLanguage ?? undefined;
    return { integrationId: integration.id, items: items.map((item) => withHint(item, language)) };
  }

  @Post(':integrationId/dead/retry')
  @HttpCode(200)
  async retryAll(@Param('integrationId') integrationId: string, @Req() request: AuthenticatedRequest) {
    const integration = await this.ownIntegration(integrationId, request);
    const retried = await (await this.repository()).retryDead(integration.id);
    return { integrationId: integration.id, retried };
  }

  @Post(':integrationId/dead/:jobId/retry')
  @HttpCode(200)
  async retryOne(@Param('integrationId') integrationId: string, @Param('jobId') jobId: string, @Req() request: AuthenticatedRequest) {
    const integration = await this.ownIntegration(integrationId, request);
    const retried = await (await this.repository()).retryDead(integration.id, jobId);
    if (retried.length === 0) throw new DingTalkError('dingtalk_job_not_found', 'No dead job with this id in this integration; list the dead letters again.', 404);
    return { integrationId: integration.id, retried };
  }

  private async repository(): Promise<QueueLifecycleRepository> {
    return new QueueLifecycleRepository(await this.database.open());
  }

  /** The integration, when it belongs to the caller's tenant; otherwise the same 404 as a missing one. */
  private async ownIntegration(integrationId: string, request: AuthenticatedRequest): Promise<DingTalkIntegration> {
    const integration = await this.integrations.resolve(integrationId);
    const tenantId = callerTenantId(request);
    if (integration.tenantId && integration.tenantId !== tenantId) {
      throw new DingTalkError('dingtalk_integration_not_found', 'No integration with this id; copy the callback URL again from the integration page.', 404);
    }
    return integration;
  }
}

/** The tenant of the authenticated caller: the guard's user, else the host's request context. */
function callerTenantId(request: AuthenticatedRequest): string | null {
  if (request.user?.tenantId) return request.user.tenantId;
  try {
    return RequestContext.currentTenantId() ?? null;
  } catch {
    return null;
  }
}

/** The catalogued code a last error starts with (`code: message`), and what the admin should do about it. */
function withHint(item: DeadLetter, language: string | undefined): DeadLetter & { code: string | null; hint: string | null } {
  const code = /^([a-z][a-z0-9_]*):/.exec(item.lastError ?? '')?.[1];
  return isErrorCode(code) ? { ...item, code, hint: adminMessage(code, language) } : { ...item, code: null, hint: null };
}

function parseLimit(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_LIMIT;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new DingTalkError('dingtalk_request_invalid', `limit must be a whole number from 1 to ${MAX_LIMIT}.`, 400, { field: 'limit' });
  }
  return limit;
}
