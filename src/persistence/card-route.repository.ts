import type { Queryable } from './database';
import { TABLES } from './entities/table-names';
import { requireText } from './invalid-argument';
import { toDateOrNull } from './sql-values';

const T = TABLES.cardRoute;

export interface CardRoute {
  integrationId: string;
  routeKey: string;
  apiSecret: string;
  callbackUrl: string | null;
  registeredAt: Date | null;
}

/** The card callback route of each HTTP-mode integration and the apiSecret its callbacks are signed with. */
export class CardRouteRepository {
  constructor(private readonly db: Queryable) {}

  async get(integrationId: string): Promise<CardRoute | null> {
    const rows = await this.db.query(`SELECT integration_id, route_key, api_secret, callback_url, registered_at FROM ${T} WHERE integration_id = $1`, [integrationId]);
    return rows.length === 1 ? toRoute(rows[0]) : null;
  }

  /**
   * The stored route, or a new one with `secret` when there is none. Concurrent boots agree on one
   * secret: the first insert wins and everyone reads it back.
   */
  async ensure(integrationId: string, routeKey: string, secret: string): Promise<CardRoute> {
    requireText('integrationId', integrationId);
    await this.db.query(
      `INSERT INTO ${T} (integration_id, route_key, api_secret) VALUES ($1, $2, $3) ON CONFLICT (integration_id) DO NOTHING`,
      [integrationId, routeKey, secret],
    );
    const route = await this.get(integrationId);
    if (!route) throw new Error('card route vanished right after it was stored');
    return route;
  }

  /** Records what DingTalk accepted (the admin's secret replaces a generated one here). */
  async markRegistered(integrationId: string, input: { routeKey: string; apiSecret: string; callbackUrl: string }, now: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO ${T} (integration_id, route_key, api_secret, callback_url, registered_at, updated_at)
       VALUES ($1, $2, $3, $4, $5::timestamptz, $5::timestamptz)
       ON CONFLICT (integration_id) DO UPDATE SET route_key = EXCLUDED.route_key, api_secret = EXCLUDED.api_secret,
         callback_url = EXCLUDED.callback_url, registered_at = EXCLUDED.registered_at, updated_at = EXCLUDED.updated_at`,
      [integrationId, input.routeKey, input.apiSecret, input.callbackUrl, now],
    );
  }
}

function toRoute(row: Record<string, unknown>): CardRoute {
  return {
    integrationId: String(row.integration_id),
    routeKey: String(row.route_key),
    apiSecret: String(row.api_secret),
    callbackUrl: row.callback_url == null ? null : String(row.callback_url),
    registeredAt: toDateOrNull(row.registered_at),
  };
}
