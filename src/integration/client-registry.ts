import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { PluginConfig } from '../config/plugin-config';
import type { DingTalkIntegrationOptions } from '../kernel/integration';
import { DingTalkClient } from '../dingtalk/client';
import { DINGTALK_PLUGIN_CONFIG } from '../kernel/tokens';

type ClientOptions = Pick<DingTalkIntegrationOptions, 'clientId' | 'clientSecret' | 'robotCode' | 'apiBaseUrl' | 'oapiBaseUrl'>;

/**
 * One DingTalk client per app credentials, so every caller in this process shares the app's token
 * cache and its per-API rate budget (DingTalk counts calls per app, not per caller).
 */
@Injectable()
export class DingTalkClientRegistry {
  private readonly clients = new Map<string, DingTalkClient>();
  private readonly listeners: Array<(client: DingTalkClient) => void> = [];

  constructor(@Inject(DINGTALK_PLUGIN_CONFIG) private readonly config: PluginConfig) {}

  forOptions(options: ClientOptions): DingTalkClient {
    const key = createHash('sha256')
      .update(`${options.clientId}\n${options.clientSecret}\n${options.robotCode ?? ''}\n${options.apiBaseUrl ?? ''}\n${options.oapiBaseUrl ?? ''}`)
      .digest('hex');
    let client = this.clients.get(key);
    if (!client) {
      client = this.create(options);
      this.clients.set(key, client);
      for (const listener of this.listeners) listener(client);
    }
    return client;
  }

  /** The shared clients (one per app), e.g. for the budget heartbeat. */
  all(): DingTalkClient[] {
    return [...this.clients.values()];
  }

  /** Called with every shared client created from now on. */
  onCreated(listener: (client: DingTalkClient) => void): void {
    this.listeners.push(listener);
  }

  /** A client that shares nothing, for checking credentials that are not saved yet. */
  create(options: ClientOptions, tuning: { maxRetries?: number } = {}): DingTalkClient {
    return new DingTalkClient({
      ...tuning,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      robotCode: options.robotCode || options.clientId,
      apiBaseUrl: options.apiBaseUrl || this.config.apiBaseUrl,
      oapiBaseUrl: options.oapiBaseUrl || this.config.oapiBaseUrl,
      timeoutMs: this.config.requestTimeoutMs,
      rateLimit: { perSecond: this.config.delivery.apiPerSecond, sessionWebhookPerSecond: this.config.delivery.sessionWebhookPerSecond },
    });
  }
}
