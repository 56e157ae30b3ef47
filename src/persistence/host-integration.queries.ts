import type { IntegrationRecord } from '../kernel/integration';

/** What the reads need of the host's connection: TypeORM's DataSource fits (its `query` takes `$n` params). */
export interface HostQueryable {
  query(sql: string, params: unknown[]): Promise<unknown[]>;
}

interface IntegrationRow {
  id: string;
  tenantId: string | null;
  organizationId: string | null;
  name: string | null;
  provider: string;
  options: unknown;
}

// The host's `integration` table is a TypeORM entity: its columns are camelCase, hence the quotes.
const SELECT_INTEGRATION = 'SELECT id, "tenantId", "organizationId", name, provider, options FROM integration';

/** One integration of the host by id, or null. The caller checks that `id` is a uuid first. */
export async function selectHostIntegration(q: HostQueryable, id: string): Promise<IntegrationRecord<Record<string, unknown>> | null> {
  const rows = (await q.query(`${SELECT_INTEGRATION} WHERE id = $1`, [id])) as IntegrationRow[];
  return rows[0] ? toRecord(rows[0]) : null;
}

/** Every integration of the host saved under `provider`. */
export async function selectHostIntegrationsByProvider(q: HostQueryable, provider: string): Promise<IntegrationRecord<Record<string, unknown>>[]> {
  const rows = (await q.query(`${SELECT_INTEGRATION} WHERE provider = $1`, [provider])) as IntegrationRow[];
  return rows.map(toRecord);
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
