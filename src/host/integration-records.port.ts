import type { IntegrationRecord } from '../kernel/integration';

/**
 * How the plugin reads the host's integration records. The 3.7 SDK exposes no query for them, so
 * the host implementation reads the host's `integration` table; tests may substitute their own.
 */
export abstract class IntegrationRecords {
  abstract get(id: string): Promise<IntegrationRecord<Record<string, unknown>> | null>;
  abstract listByProvider(provider: string): Promise<IntegrationRecord<Record<string, unknown>>[]>;
}
