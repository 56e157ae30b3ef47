import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { TABLES } from './table-names';

/**
 * Which expert answers an integration, written by the trigger's publish() (DESIGN §5). The schema is
 * owned by the migrations; this class documents it and maps types. Repositories use SQL, and the
 * plugin never synchronizes from entities.
 */
@Entity({ name: TABLES.triggerBinding })
@Unique('plugin_dingtalk_trigger_binding_integration_uq', ['integrationId'])
@Index('plugin_dingtalk_trigger_binding_xpert_idx', ['xpertId'])
export class TriggerBindingEntity {
  // A column default rather than a generated uuid: TypeORM's uuid generation installs uuid-ossp,
  // which PGlite does not have.
  // The migration's DEFAULT gen_random_uuid(), which TypeORM reads back as a generated uuid.
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'integration_id', type: 'text' })
  integrationId!: string;

  @Column({ name: 'xpert_id', type: 'text' })
  xpertId!: string;

  @Column({ name: 'tenant_id', type: 'text', nullable: true })
  tenantId!: string | null;

  @Column({ name: 'organization_id', type: 'text', nullable: true })
  organizationId!: string | null;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  /** Trigger config: sessionTimeoutSeconds, summaryWindowSeconds, … */
  @Column({ type: 'jsonb', default: () => `'{}'` })
  config!: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
