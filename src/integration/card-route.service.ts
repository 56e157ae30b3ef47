import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { DingTalkIntegrationOptions } from '../kernel/integration';
import type { PluginConfig } from '../config/plugin-config';
import { PluginDatabase } from '../core/plugin-database.service';
import { DingTalkError } from '../kernel/errors';
import { IntegrationResolver } from './integration-resolver';
import { cardCallbackRouteKey } from '../dingtalk/card-route-key';
import { CardRouteRepository } from '../persistence';
import { DINGTALK_CLOCK, DINGTALK_PLUGIN_CONFIG } from '../kernel/tokens';
import { DingTalkClientRegistry } from './client-registry';

export interface RegisteredCardRoute {
  routeKey: string;
  callbackUrl: string;
  /** Whose apiSecret DingTalk signs with: the admin's `cardCallbackSecret`, or one the plugin generated. */
  secret: 'configured' | 'generated';
}

/**
 * HTTP-mode card callbacks are always authenticated: every HTTP-mode integration registers its own
 * route key with DingTalk (`POST /v1.0/card/callbacks/register`) together with an apiSecret, at boot
 * and at Test, idempotently (forceUpdate with the same values). DingTalk then signs each callback
 * with that secret and the webhook refuses any callback that is not signed by it.
 */
@Injectable()
export class CardRouteService implements OnApplicationBootstrap {
  private readonly logger = new Logger('DingTalkCardRoute');

  constructor(
    private readonly database: PluginDatabase,
    private readonly clients: DingTalkClientRegistry,
    private readonly integrations: IntegrationResolver,
    @Inject(DINGTALK_PLUGIN_CONFIG) private readonly config: PluginConfig,
    @Inject(DINGTALK_CLOCK) private readonly now: () => number,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.publicBaseUrl) return;
    // In the background: DingTalk being slow or away must not hold the host's boot.
    void this.registerAll().catch((error) => this.logger.warn(`card callback routes not registered at boot code=${codeOf(error)}`));
  }

  async registerAll(): Promise<number> {
    let registered = 0;
    for (const integration of await this.integrations.listValid()) {
      if (integration.options.mode !== 'http') continue;
      try {
        await this.register(integration.id, integration.options);
        registered++;
      } catch (error) {
        this.logger.warn(`card callback route not registered integration=${integration.id} code=${codeOf(error)}`);
      }
    }
    return registered;
  }

  /** Registers the integration's route; `origin` is used when no public base URL is configured. */
  async register(integrationId: string, options: DingTalkIntegrationOptions, origin?: string): Promise<RegisteredCardRoute> {
    const base = (this.config.publicBaseUrl || origin || '').replace(/\/+$/, '');
    if (!base) {
      throw new DingTalkError('dingtalk_public_url_missing', 'Set the public base URL of this server (DINGTALK_PUBLIC_BASE_URL) so DingTalk can call back card buttons.', 409);
    }
    const callbackUrl = `${base}/api/dingtalk/webhook/${integrationId}`;
    const routeKey = cardCallbackRouteKey(integrationId);
    const db = await this.database.open();
    const routes = new CardRouteRepository(db);
    const apiSecret = options.cardCallbackSecret || (await routes.ensure(integrationId, routeKey, randomBytes(24).toString('base64url'))).apiSecret;
    await this.clients.forOptions(options).registerCardCallback({ callbackRouteKey: routeKey, callbackUrl, apiSecret, forceUpdate: true });
    await routes.markRegistered(integrationId, { routeKey, apiSecret, callbackUrl }, new Date(this.now()));
    this.logger.log(`card callback route registered integration=${integrationId}`);
    return { routeKey, callbackUrl, secret: options.cardCallbackSecret ? 'configured' : 'generated' };
  }

  /** The apiSecret card callbacks of this integration must be signed with, or undefined (none registered). */
  async secretFor(integrationId: string, options: DingTalkIntegrationOptions): Promise<string | undefined> {
    if (options.cardCallbackSecret) return options.cardCallbackSecret;
    const route = await new CardRouteRepository(await this.database.open()).get(integrationId);
    return route?.registeredAt ? route.apiSecret : undefined;
  }
}

function codeOf(error: unknown): string {
  return error && typeof error === 'object' && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : 'internal';
}
