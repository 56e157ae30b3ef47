import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TABLES } from './table-names';

/**
 * A stop (`/stop`, End conversation) asked for while this job ran (migration 0012): the replica
 * running the job's answer finds it here even when it missed the notification that announced it.
 */
@Entity({ name: TABLES.runStop })
export class RunStopEntity {
  @PrimaryColumn({ name: 'job_id', type: 'uuid' })
  jobId!: string;

  @Column({ name: 'session_key', type: 'text' })
  sessionKey!: string;

  @Column({ name: 'requested_at', type: 'timestamptz' })
  requestedAt!: Date;
}
