import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { TABLES } from './table-names';

/**
 * Every inbound event we accepted. The unique (integration_id, event_id) pair is the dedupe key that
 * makes a redelivered event a no-op (P9); rows are purged by age, hence the received_at index.
 * No message body is stored here.
 */
@Entity({ name: TABLES.inbox })
@Unique('plugin_dingtalk_inbox_event_uq', ['integrationId', 'eventId'])
@Index('plugin_dingtalk_inbox_received_at_idx', ['receivedAt'])
export class InboxEntity {
  // The migration's DEFAULT gen_random_uuid(), which TypeORM reads back as a generated uuid.
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'integration_id', type: 'text' })
  integrationId!: string;

  @Column({ name: 'event_id', type: 'text' })
  eventId!: string;

  /** What arrived: robot message, card action, event callback type, … */
  @Column({ type: 'text' })
  kind!: string;

  @Column({ name: 'conversation_id', type: 'text', nullable: true })
  conversationId!: string | null;

  @Column({ name: 'sender_id', type: 'text', nullable: true })
  senderId!: string | null;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;
}
