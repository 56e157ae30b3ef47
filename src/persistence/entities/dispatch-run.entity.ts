import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TABLES } from './table-names';

/**
 * One turn answered through the host's dispatch (migration 0008): the next envelope sequence to
 * apply, the envelopes that came early and the answer so far, so any replica continues the reply
 * exactly once and in order; a short lease lets one delivery at a time send.
 */
@Entity({ name: TABLES.dispatchRun })
@Index('plugin_dingtalk_dispatch_run_session_idx', ['sessionKey', 'createdAt'])
export class DispatchRunEntity {
  @PrimaryColumn({ name: 'run_id', type: 'text' })
  runId!: string;

  @Column({ name: 'session_key', type: 'text' })
  sessionKey!: string;

  @Column({ name: 'integration_id', type: 'text' })
  integrationId!: string;

  @Column({ name: 'xpert_id', type: 'text' })
  xpertId!: string;

  @Column({ name: 'thread_id', type: 'text' })
  threadId!: string;

  @Column({ name: 'reply_target', type: 'jsonb' })
  replyTarget!: unknown;

  @Column({ name: 'answers_interrupt_id', type: 'text', nullable: true })
  answersInterruptId!: string | null;

  @Column({ type: 'text', nullable: true })
  decision!: string | null;

  @Column({ type: 'text', default: 'pending' })
  status!: string;

  @Column({ name: 'next_sequence', type: 'int', default: 1 })
  nextSequence!: number;

  @Column({ type: 'jsonb', default: () => `'[]'` })
  applied!: unknown;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  buffered!: unknown;

  @Column({ type: 'int', default: 0 })
  version!: number;

  @Column({ name: 'lease_owner', type: 'text', nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;
}
