import { Injectable } from '@nestjs/common';
import type { DingTalkIntegrationOptions, IntegrationRecord } from '../config/integration-options';
import { parseIntegrationOptions } from '../config/integration.schema';
import { DingTalkError } from '../errors';
import { IntegrationRecords } from '../host/integration-records.port';
import { PROVIDER_NAME } from '../tokens';

export type DingTalkIntegration = IntegrationRecord<DingTalkIntegrationOptions>;

/**
 * Finds a DingTalk integration by id, with coded errors for the webhook edge (404 / 409).
 * The last record read is remembered, for when the host's database cannot be read: an HTTP
 * callback can then still be verified and spooled during an outage.
 */
@Injectable()
export class IntegrationResolver {
  private readonly lastKnown = new Map<string, IntegrationRecord<Record<string, unknown>>>();

  constructor(private readonly records: IntegrationRecords) {}

  async resolve(integrationId: string): Promise<DingTalkIntegration> {
    let record: IntegrationRecord<Record<string, unknown>> | null;
    try {
      record = await this.records.get(integrationId);
    } catch (error) {
      const known = this.lastKnown.get(integrationId);
      if (!known) throw error;
      record = known;
    }
    if (record) this.lastKnown.set(integrationId, record);
    else this.lastKnown.delete(integrationId);
    if (!record) {
      throw new DingTalkError('dingtalk_integration_not_found', 'No integration with this id; copy the callback URL again from the integration page.', 404);
    }
    if (record.provider !== PROVIDER_NAME) {
      throw new DingTalkError('dingtalk_integration_provider_mismatch', `Integration is of provider '${record.provider}', not '${PROVIDER_NAME}'.`, 409);
    }
    let options: DingTalkIntegrationOptions;
    try {
      options = parseIntegrationOptions(record.options);
    } catch (error) {
      const details = error instanceof DingTalkError ? error.details : undefined;
      throw new DingTalkError('dingtalk_integration_misconfigured', 'The DingTalk integration settings are incomplete; open the integration, fix the highlighted fields and click Test.', 409, details);
    }
    return { ...record, options };
  }

  /** Every DingTalk integration with valid settings; broken ones are skipped (and reported by Test). */
  async listValid(): Promise<DingTalkIntegration[]> {
    const records = await this.records.listByProvider(PROVIDER_NAME);
    const valid: DingTalkIntegration[] = [];
    for (const record of records) {
      try {
        valid.push({ ...record, options: parseIntegrationOptions(record.options) });
      } catch {
        // skipped on purpose: a half-filled integration must not stop the others.
      }
    }
    return valid;
  }
}
