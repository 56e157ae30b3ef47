import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TABLES } from './table-names';

/** One person the trigger's access settings turned away in one conversation (migration 0011). */
@Entity({ name: TABLES.accessRefusal })
@Index('plugin_dingtalk_access_refusal_recent_idx', ['integrationId', 'lastRefusedAt'])
export class AccessRefusalEntity {
  @PrimaryColumn({ name: 'integration_id', type: 'text' })
  integrationId!: string;

  @PrimaryColumn({ name: 'conversation_id', type: 'text' })
  conversationId!: string;

  @PrimaryColumn({ name: 'subject_id', type: 'text' })
  subjectId!: string;

  @Column({ name: 'conversation_type', type: 'text' })
  conversationType!: string;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ name: 'sender_nick', type: 'text', nullable: true })
  senderNick!: string | null;

  @Column({ name: 'refused_count', type: 'int', default: 1 })
  refusedCount!: number;

  @Column({ name: 'last_event_id', type: 'text' })
  lastEventId!: string;

  @Column({ name: 'first_refused_at', type: 'timestamptz' })
  firstRefusedAt!: Date;

  @Column({ name: 'last_refused_at', type: 'timestamptz' })
  lastRefusedAt!: Date;
}
