import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TABLES } from './table-names';

/** The card callback route an HTTP-mode integration registered with DingTalk (migration 0004). */
@Entity({ name: TABLES.cardRoute })
export class CardRouteEntity {
  @PrimaryColumn({ name: 'integration_id', type: 'text' })
  integrationId!: string;

  @Column({ name: 'route_key', type: 'text' })
  routeKey!: string;

  /** DingTalk signs each card callback with it; never returned by any route. */
  @Column({ name: 'api_secret', type: 'text' })
  apiSecret!: string;

  @Column({ name: 'callback_url', type: 'text', nullable: true })
  callbackUrl!: string | null;

  @Column({ name: 'registered_at', type: 'timestamptz', nullable: true })
  registeredAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
