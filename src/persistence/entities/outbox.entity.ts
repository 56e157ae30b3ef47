import { Check, Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { TABLES } from './table-names';

export type OutboxTargetType = 'user' | 'group' | 'webhook' | 'card';
export type OutboxStatus = 'pending' | 'sent' | 'failed' | 'recalled';

/**
 * Every message or card we send. The idempotency key makes a retried send reuse the stored result
 * instead of posting twice (P15); process_query_key / out_track_id let update and recall find what
 * they act on.
 */
@Entity({ name: TABLES.outbox })
@Unique('plugin_dingtalk_outbox_idempotency_uq', ['idempotencyKey'])
@Index('plugin_dingtalk_outbox_process_query_key_idx', ['integrationId', 'processQueryKey'])
@Index('plugin_dingtalk_outbox_out_track_id_idx', ['integrationId', 'outTrackId'])
@Check('plugin_dingtalk_outbox_target_type_ck', `target_type IN ('user', 'group', 'webhook', 'card')`)
@Check('plugin_dingtalk_outbox_status_ck', `status IN ('pending', 'sent', 'failed', 'recalled')`)
@Check('plugin_dingtalk_outbox_card_stream_check', `card_stream IN ('streaming', 'finalized', 'abandoned')`)
@Index('plugin_dingtalk_outbox_streaming_idx', ['updatedAt'], { where: `card_stream = 'streaming'` })
export class OutboxEntity {
  // The migration's DEFAULT gen_random_uuid(), which TypeORM reads back as a generated uuid.
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey!: string;

  @Column({ name: 'integration_id', type: 'text' })
  integrationId!: string;

  @Column({ name: 'target_type', type: 'text' })
  targetType!: OutboxTargetType;

  @Column({ name: 'target_id', type: 'text' })
  targetId!: string;

  @Column({ name: 'message_kind', type: 'text' })
  messageKind!: string;

  @Column({ type: 'text', default: 'pending' })
  status!: OutboxStatus;

  @Column({ name: 'process_query_key', type: 'text', nullable: true })
  processQueryKey!: string | null;

  @Column({ name: 'out_track_id', type: 'text', nullable: true })
  outTrackId!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  request!: unknown;

  @Column({ type: 'jsonb', nullable: true })
  result!: unknown;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  /** Answer cards: `streaming` while a replica streams into it, then `finalized` or `abandoned` (migration 0006). */
  @Column({ name: 'card_stream', type: 'text', nullable: true })
  cardStream!: 'streaming' | 'finalized' | 'abandoned' | null;

  /** The replica streaming into the card. */
  @Column({ name: 'stream_owner', type: 'text', nullable: true })
  streamOwner!: string | null;

  /** When a sweep first found the stream's owner gone. */
  @Column({ name: 'stream_orphaned_at', type: 'timestamptz', nullable: true })
  streamOrphanedAt!: Date | null;

  /** The replica that sent (or is sending) the row: a pending row is in flight only while it lives. */
  @Column({ type: 'text', nullable: true })
  sender!: string | null;

  @Column({ name: 'recalled_at', type: 'timestamptz', nullable: true })
  recalledAt!: Date | null;
}
