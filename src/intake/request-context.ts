import { runWithRequestContext } from '@xpert-ai/plugin-sdk';
import type { IntegrationRecord } from '../kernel/integration';

/**
 * Public DingTalk routes carry no Xpert user; the work below them still needs the integration's
 * tenant and organization in the SDK's request context, as the host's own webhooks do.
 */
export function runInIntegrationContext<T>(integration: Pick<IntegrationRecord<{ preferredLanguage?: string }>, 'tenantId' | 'organizationId' | 'options'>, work: () => Promise<T>): Promise<T> {
  const headers: Record<string, string> = { language: integration.options?.preferredLanguage ?? 'zh-Hans' };
  if (integration.organizationId) headers['organization-id'] = integration.organizationId;
  if (integration.tenantId) headers['tenant-id'] = integration.tenantId;
  return new Promise<T>((resolve, reject) => {
    runWithRequestContext({ headers } as never, {}, () => {
      work().then(resolve, reject);
    });
  });
}
