import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TABLES } from './table-names';

/**
 * The summary-window buffer of one session. Every append bumps `version`; the flush job carries the
 * version it was scheduled for and only the newest one takes the messages (a versioned debounce).
 */
@Entity({ name: TABLES.aggregate })
export class AggregateEntity {
  /** Primary key, hence unique: one pending buffer per session. */
  @PrimaryColumn({ name: 'session_key', type: 'text' })
  sessionKey!: string;

  @Column({ name: 'integration_id', type: 'text' })
  integrationId!: string;

  @Column({ type: 'int' })
  version!: number;

  /** A JSON array of the buffered messages, oldest first. */
  @Column({ type: 'jsonb', default: () => `'[]'` })
  messages!: unknown[];

  @Column({ name: 'flush_at', type: 'timestamptz' })
  flushAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
