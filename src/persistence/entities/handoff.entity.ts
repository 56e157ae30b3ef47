import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { TABLES } from './table-names';

export type HandoffStatus = 'queued' | 'running' | 'done' | 'dead';

/**
 * The durable job queue between intake and the worker (DESIGN §3). `arrived_at` (then `seq`) orders
 * the jobs of one session (P10); the lease columns let any replica recover a job whose worker died
 * (P12).
 */
@Entity({ name: TABLES.handoff })
@Index('plugin_dingtalk_handoff_queued_seq_idx', ['seq'], { where: `status = 'queued'` })
@Index('plugin_dingtalk_handoff_active_session_idx', ['sessionKey', 'arrivedAt', 'seq'], { where: `status IN ('queued', 'running')` })
@Index('plugin_dingtalk_handoff_running_lease_idx', ['leaseUntil'], { where: `status = 'running'` })
@Index('plugin_dingtalk_handoff_dead_finished_idx', ['finishedAt'], { where: `status = 'dead'` })
@Check('plugin_dingtalk_handoff_status_ck', `status IN ('queued', 'running', 'done', 'dead')`)
@Check('plugin_dingtalk_handoff_attempts_ck', `attempts >= 0 AND max_attempts >= 1`)
export class HandoffEntity {
  // The migration's DEFAULT gen_random_uuid(), which TypeORM reads back as a generated uuid.
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** bigserial; pg returns int8 as a string, PGlite as a number: repositories normalise it. */
  @Column({ type: 'bigint', generated: 'increment' })
  seq!: string;

  @Column({ type: 'text' })
  kind!: string;

  @Column({ name: 'integration_id', type: 'text' })
  integrationId!: string;

  /** Jobs of one session run one at a time in arrival order; null means independent. */
  @Column({ name: 'session_key', type: 'text', nullable: true })
  sessionKey!: string | null;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  payload!: unknown;

  @Column({ type: 'text', default: 'queued' })
  status!: HandoffStatus;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'max_attempts', type: 'int', default: 5 })
  maxAttempts!: number;

  /** When the event reached a replica (0013); rows finished before 0013 hold '-infinity'. */
  @Column({ name: 'arrived_at', type: 'timestamptz', default: () => 'now()' })
  arrivedAt!: Date;

  @Column({ name: 'run_at', type: 'timestamptz', default: () => 'now()' })
  runAt!: Date;

  @Column({ name: 'lease_owner', type: 'text', nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil!: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
