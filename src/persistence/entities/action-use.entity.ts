import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TABLES } from './table-names';

/** The first use of a signed action's nonce (migration 0004): End, Confirm and Reject act once. */
@Entity({ name: TABLES.actionUse })
export class ActionUseEntity {
  @PrimaryColumn({ name: 'integration_id', type: 'text' })
  integrationId!: string;

  @PrimaryColumn({ type: 'text' })
  nonce!: string;

  @Column({ type: 'text' })
  action!: string;

  @Column({ name: 'session_key', type: 'text' })
  sessionKey!: string;

  @Column({ name: 'job_id', type: 'text' })
  jobId!: string;

  @Column({ name: 'used_at', type: 'timestamptz', default: () => 'now()' })
  usedAt!: Date;
}
