import type { Queryable } from './database';
import { TABLES } from './entities/table-names';
import { requireText } from './invalid-argument';
import { jsonParam, toDate, toStringOrNull } from './sql-values';

/** Trigger settings stored with a binding (DESIGN §6). Unknown keys are kept as they are. */
export interface TriggerBindingConfig {
  sessionTimeoutSeconds?: number;
  summaryWindowSeconds?: number;
  [key: string]: unknown;
}

export interface TriggerBinding {
  id: string;
  integrationId: string;
  xpertId: string;
  tenantId: string | null;
  organizationId: string | null;
  enabled: boolean;
  config: TriggerBindingConfig;
  createdAt: Date;
  updatedAt: Date;
}

export interface TriggerBindingInput {
  integrationId: string;
  xpertId: string;
  tenantId?: string | null;
  organizationId?: string | null;
  enabled?: boolean;
  config?: TriggerBindingConfig;
}

const T = TABLES.triggerBinding;
const COLUMNS = 'id, integration_id, xpert_id, tenant_id, organization_id, enabled, config, created_at, updated_at';

/**
 * Integration → expert bindings, written by the trigger's publish()/stop(). One expert per
 * integration (UNIQUE integration_id): publishing another expert on the same integration takes it
 * over. The host replays publish() at every boot, so upsert must be idempotent, and it is.
 */
export class TriggerBindingRepository {
  constructor(private readonly db: Queryable) {}

  async upsert(input: TriggerBindingInput): Promise<TriggerBinding> {
    requireText('integrationId', input.integrationId);
    requireText('xpertId', input.xpertId);
    const rows = await this.db.query(
      `INSERT INTO ${T} (integration_id, xpert_id, tenant_id, organization_id, enabled, config)
       VALUES ($1, $2, $3, $4, $5::boolean, $6::jsonb)
       ON CONFLICT (integration_id) DO UPDATE
          SET xpert_id = EXCLUDED.xpert_id,
              tenant_id = EXCLUDED.tenant_id,
              organization_id = EXCLUDED.organization_id,
              enabled = EXCLUDED.enabled,
              config = EXCLUDED.config,
              updated_at = now()
       RETURNING ${COLUMNS}`,
      [
        input.integrationId,
        input.xpertId,
        input.tenantId ?? null,
        input.organizationId ?? null,
        input.enabled ?? true,
        jsonParam(input.config ?? {}),
      ],
    );
    return toTriggerBinding(rows[0]);
  }

  async findByIntegration(integrationId: string): Promise<TriggerBinding | null> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM ${T} WHERE integration_id = $1`, [integrationId]);
    return rows.length === 1 ? toTriggerBinding(rows[0]) : null;
  }

  async findByXpert(xpertId: string): Promise<TriggerBinding[]> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM ${T} WHERE xpert_id = $1 ORDER BY created_at`, [xpertId]);
    return rows.map(toTriggerBinding);
  }

  /**
   * Removes the binding of an integration. With `xpertId`, only if that expert still holds it, so a
   * stop() of an expert that was already replaced cannot unbind its successor.
   */
  async remove(integrationId: string, xpertId?: string): Promise<boolean> {
    const rows = await this.db.query(
      `DELETE FROM ${T} WHERE integration_id = $1 AND ($2::text IS NULL OR xpert_id = $2::text) RETURNING id`,
      [integrationId, xpertId ?? null],
    );
    return rows.length > 0;
  }

  async list(): Promise<TriggerBinding[]> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM ${T} ORDER BY created_at, integration_id`);
    return rows.map(toTriggerBinding);
  }
}

function toTriggerBinding(row: Record<string, unknown>): TriggerBinding {
  return {
    id: String(row.id),
    integrationId: String(row.integration_id),
    xpertId: String(row.xpert_id),
    tenantId: toStringOrNull(row.tenant_id),
    organizationId: toStringOrNull(row.organization_id),
    enabled: row.enabled === true,
    config: (row.config ?? {}) as TriggerBindingConfig,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/** The column list its queries select; the schema-agreement test checks it against the entity. */
export { COLUMNS as TRIGGER_BINDING_COLUMNS };
