import { Column, Entity, PrimaryColumn, Unique } from 'typeorm';
import { TABLES } from './table-names';

/**
 * One DingTalk session (key integration:conversation:sender) → the expert and the expert-side
 * thread that carries its history. `ended_at` is set by the end-session action or an idle timeout;
 * the next message then starts a fresh thread.
 */
@Entity({ name: TABLES.conversationBinding })
@Unique('plugin_dingtalk_conversation_binding_session_uq', ['sessionKey'])
export class ConversationBindingEntity {
  @PrimaryColumn({ type: 'uuid', default: () => 'gen_random_uuid()' })
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
}
