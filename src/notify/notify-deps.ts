import type { DingTalkIntegrationOptions } from '../kernel/integration';
import type { DingTalkClient } from '../dingtalk/client';
import type { Queryable } from '../persistence/database';
import type { LoggerPort } from '../kernel/logger';

/**
 * What the notify middleware needs from the rest of the plugin. The strategy assembles it from Nest
 * providers; tests can hand in their own. Nothing here is touched before a tool actually runs.
 */
export interface NotifyDeps {
  resolveIntegration(id: string): Promise<NotifyIntegration>;
  /** The shared per-app client (one token cache and one rate budget per DingTalk app). */
  clientFor(options: DingTalkIntegrationOptions): DingTalkClient;
  openDatabase(): Promise<Queryable>;
  /** Configured DingTalk origins (session webhooks must point at one) and this server's public origin. */
  hosts: { apiBaseUrl: string; oapiBaseUrl: string; publicBaseUrl?: string };
  now(): number;
  logger: NotifyLogger;
}

export interface NotifyIntegration {
  id: string;
  options: DingTalkIntegrationOptions;
}

/** The part of the plugin's logger port the notify tools use. */
export type NotifyLogger = Pick<LoggerPort, 'debug' | 'warn'>;
