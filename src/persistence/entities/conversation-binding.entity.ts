import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { TABLES } from './table-names';

/**
 * One DingTalk session (key integration:conversation:sender) → the expert and the expert-side
 * thread that carries its history. `ended_at` is set by the end-session action or an idle timeout;
 * the next message then starts a fresh thread.
 */
@Entity({ name: TABLES.conversationBinding })
@Unique('plugin_dingtalk_conversation_binding_session_uq', ['sessionKey'])
export class ConversationBindingEntity {
  // The migration's DEFAULT gen_random_uuid(), which TypeORM reads back as a generated uuid.
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'session_key', type: 'text' })
  sessionKey!: string;

  @Column({ name: 'integration_id', type: 'text' })
  integrationId!: string;

  @Column({ name: 'conversation_id', type: 'text' })
  conversationId!: string;

  @Column({ name: 'sender_id', type: 'text' })
  senderId!: string;

  @Column({ name: 'xpert_id', type: 'text' })
  xpertId!: string;

  /** The expert-side conversation / thread id. */
  @Column({ name: 'thread_id', type: 'text' })
  threadId!: string;

  @Column({ name: 'last_active_at', type: 'timestamptz', default: () => 'now()' })
  lastActiveAt!: Date;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  /** Where the session's answers go (migration 0002), for actions that arrive without a chat event. */
  @Column({ name: 'reply_target', type: 'jsonb', nullable: true })
  replyTarget!: unknown;

  /** The run that stopped for a human confirmation (migration 0002). */
  @Column({ name: 'pending_interrupt', type: 'jsonb', nullable: true })
  pendingInterrupt!: unknown;

  /** The Xpert conversation a dispatched session continues (migration 0008; 0009 fills it on upgrade). */
  @Column({ name: 'xpert_conversation_id', type: 'text', nullable: true })
  xpertConversationId!: string | null;
}
