import { RequestContext } from '@xpert-ai/plugin-sdk';
import type { IntegrationRecord } from '../kernel/integration';
import { DingTalkError } from '../kernel/errors';

/**
 * Admin routes answer only for integrations of the caller's tenant (and organization, when the
 * request names one), from the host's request context. Outside it the integration does not exist
 * for the caller: 404, the same answer as for an unknown id, so ids of other tenants are not probed.
 */
export function assertInCallerScope(integration: Pick<IntegrationRecord<unknown>, 'tenantId' | 'organizationId'>): void {
  if (!inCallerScope(integration)) throw notFound();
}

/** The same rule as a filter, for lists: what the caller may see of several integrations. */
export function inCallerScope(integration: Pick<IntegrationRecord<unknown>, 'tenantId' | 'organizationId'>): boolean {
  const tenantId = safe(() => RequestContext.currentTenantId());
  const organizationId = safe(() => RequestContext.getOrganizationId());
  const tenantOk = !!tenantId && integration.tenantId === tenantId;
  const organizationOk = !organizationId || !integration.organizationId || integration.organizationId === organizationId;
  return tenantOk && organizationOk;
}

export function notFound(): DingTalkError {
  return new DingTalkError('dingtalk_integration_not_found', 'No integration with this id; copy the callback URL again from the integration page.', 404);
}

function safe(read: () => string | null | undefined): string | undefined {
  try {
    const value = read();
    return typeof value === 'string' && value ? value : undefined;
  } catch {
    return undefined;
  }
}
