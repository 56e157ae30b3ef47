import { Inject, Injectable, Optional } from '@nestjs/common';
// Only the injection token of the host's connection: the statements live in persistence/.
import { DataSource } from 'typeorm';
import type { IntegrationRecord } from '../kernel/integration';
import { DingTalkError } from '../kernel/errors';
import { selectHostIntegration, selectHostIntegrationsByProvider, type HostQueryable } from '../persistence/host-integration.queries';
import { IntegrationRecords } from './integration-records.port';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads the host's `integration` table through the host's own DataSource. */
@Injectable()
export class HostIntegrationRecords extends IntegrationRecords {
  constructor(@Optional() @Inject(DataSource) private readonly hostDataSource?: DataSource) {
    super();
  }

  async get(id: string): Promise<IntegrationRecord<Record<string, unknown>> | null> {
    // The host keys integrations by uuid; anything else cannot exist, and would make PostgreSQL throw.
    if (!UUID.test(id)) return null;
    return selectHostIntegration(this.source(), id);
  }

  async listByProvider(provider: string): Promise<IntegrationRecord<Record<string, unknown>>[]> {
    return selectHostIntegrationsByProvider(this.source(), provider);
  }

  private source(): HostQueryable {
    if (!this.hostDataSource) {
      throw new DingTalkError('dingtalk_host_database_missing', 'The host did not provide its TypeORM DataSource; integration records cannot be read.', 503);
    }
    return this.hostDataSource;
  }
}
