import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TABLES } from './table-names';

/** A replica's heartbeat for a DingTalk app's shared API budget (migration 0006). */
@Entity({ name: TABLES.appBudget })
@Index('plugin_dingtalk_app_budget_replica_idx', ['replicaId', 'heartbeatAt'])
export class AppBudgetEntity {
  @PrimaryColumn({ name: 'client_id', type: 'text' })
  clientId!: string;

  @PrimaryColumn({ name: 'replica_id', type: 'text' })
  replicaId!: string;

  @Column({ name: 'heartbeat_at', type: 'timestamptz', default: () => 'now()' })
  heartbeatAt!: Date;

  @Column({ name: 'stale_after_ms', type: 'int', default: 4000 })
  staleAfterMs!: number;
}
