import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TABLES } from './table-names';

export type HandoffStatus = 'queued' | 'running' | 'done' | 'dead';

/**
 * The durable job queue between intake and the worker (DESIGN §3). `seq` is arrival order, which
 * orders the jobs of one session (P10); the lease columns let any replica recover a job whose worker
 * died (P12).
 */
@Entity({ name: TABLES.handoff })
export class HandoffEntity {
  @PrimaryColumn({ type: 'uuid', default: () => 'gen_random_uuid()' })
  id!: string;

  /** bigserial; pg returns int8 as a string, PGlite as a number: repositories normalise it. */
  @Column({ type: 'bigint', generated: 'increment' })
  seq!: string;

  @Column({ type: 'text' })
  kind!: string;

  @Column({ name: 'integration_id', type: 'text' })
  integrationId!: string;

  /** Jobs of one session run one at a time in seq order; null means independent. */
  @Column({ name: 'session_key', type: 'text', nullable: true })
  sessionKey!: string | null;

  @Column({ type: 'jsonb' })
  payload!: unknown;

  @Column({ type: 'text', default: 'queued' })
  status!: HandoffStatus;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'max_attempts', type: 'int', default: 5 })
  maxAttempts!: number;

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
