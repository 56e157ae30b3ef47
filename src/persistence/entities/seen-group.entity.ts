import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TABLES } from './table-names';

/** A group the bot received a message in, offered by the trigger's group list (migration 0011). */
@Entity({ name: TABLES.seenGroup })
export class SeenGroupEntity {
  @PrimaryColumn({ name: 'integration_id', type: 'text' })
  integrationId!: string;

  @PrimaryColumn({ name: 'conversation_id', type: 'text' })
  conversationId!: string;

  @Column({ type: 'text', nullable: true })
  title!: string | null;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt!: Date;
}
