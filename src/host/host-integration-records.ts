import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { IntegrationRecord } from '../kernel/integration';
import { DingTalkError } from '../kernel/errors';
import { IntegrationRecords } from './integration-records.port';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface IntegrationRow {
  id: string;
  tenantId: string | null;
  organizationId: string | null;
  name: string | null;
  provider: string;
  options: unknown;
}

/** Reads the host's `integration` table (TypeORM entity columns are camelCase, hence the quotes). */
@Injectable()
export class HostIntegrationRecords extends IntegrationRecords {
  constructor(@Optional() @Inject(DataSource) private readonly hostDataSource?: DataSource) {
    super();
  }

  async get(id: string): Promise<IntegrationRecord<Record<string, unknown>> | null> {
    // The host keys integrations by uuid; anything else cannot exist, and would make PostgreSQL throw.
    if (!UUID.test(id)) return null;
    const rows = await this.source().query(
      'SELECT id, "tenantId", "organizationId", name, provider, options FROM integration WHERE id = $1',
      [id],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async listByProvider(provider: string): Promise<IntegrationRecord<Record<string, unknown>>[]> {
    const rows: IntegrationRow[] = await this.source().query(
      'SELECT id, "tenantId", "organizationId", name, provider, options FROM integration WHERE provider = $1',
      [provider],
    );
    return rows.map(toRecord);
  }

  private source(): DataSource {
    if (!this.hostDataSource) {
      throw new DingTalkError('dingtalk_host_database_missing', 'The host did not provide its TypeORM DataSource; integration records cannot be read.', 503);
    }
    return this.hostDataSource;
  }
}

function toRecord(row: IntegrationRow): IntegrationRecord<Record<string, unknown>> {
  const options = typeof row.options === 'string' ? safeJson(row.options) : row.options;
  return {
    id: row.id,
    tenantId: row.tenantId,
    organizationId: row.organizationId,
    name: row.name,
    provider: row.provider,
    options: (options && typeof options === 'object' ? options : {}) as Record<string, unknown>,
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}
