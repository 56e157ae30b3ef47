/**
 * What the Xpert 3.17 host line adds to the plugin contract and the 3.7.2 SDK we build against does
 * not declare. Declared here, shape for shape, so one build runs on both lines; nothing here is
 * imported from a newer SDK. Every field is optional for the plugin: a 3.7 host never provides it.
 */

/** `packages/plugin-sdk/src/lib/integration/strategy.interface.ts` (3.17). */
export interface IntegrationTestProbe {
  connected?: boolean;
  state?: string;
  lastError?: string | null;
  checkedAt?: number | null;
}

/**
 * What `validateConfig` may return. The Test button shows `webhookUrl`; on save the host patches the
 * stored record with a returned `name`, `description`, `slug`, `provider`, `options` or `features`,
 * so a checklist must never carry those keys (returning `options` without secrets would erase them).
 */
export type IntegrationTestResult = {
  webhookUrl?: string;
  mode?: string;
  warnings?: string[];
  probe?: IntegrationTestProbe;
} & Record<string, unknown>;

/** A permission the plugin object declares; the 3.17 host gates `ctx.resolve` by its `type`. */
export interface PluginPermission {
  type: string;
  service?: string;
  operations?: string[];
}

/** Host services reached through `ctx.resolve(token)` on 3.17 (plain strings, so no SDK import). */
export const INTEGRATION_PERMISSION_SERVICE_TOKEN = 'XPERT_PLUGIN_INTEGRATION_PERMISSION_SERVICE';
export const HANDOFF_PERMISSION_SERVICE_TOKEN = 'XPERT_PLUGIN_HANDOFF_PERMISSION_SERVICE';
export const HANDOFF_QUEUE_SERVICE_TOKEN = 'XPERT_HANDOFF_QUEUE_SERVICE';

/** The part of the host's integration permission service the plugin may use (operation `read`). */
export interface IntegrationPermissionService {
  read<T = unknown>(id: string): Promise<T | null>;
  findAll<T = unknown>(options?: { where?: Record<string, unknown> }): Promise<{ items: T[]; total: number }>;
}

/** The 3.17 plugin context (`packages/server/src/plugin/lifecycle.ts`); `ctx.app` is gone. */
export interface PluginContext317<TConfig = Record<string, unknown>> {
  module: unknown;
  config: TConfig;
  tenantId: string | null;
  organizationId: string | null;
  scopeKey: string | null;
  logger: { debug(msg: string): void; log(msg: string): void; warn(msg: string): void; error(msg: string): void };
  resolve<T = unknown>(token: unknown): T;
}

/** The 3.17 integration strategy hooks (3.7 declares `validateConfig(config): Promise<void>` only). */
export interface IntegrationStrategyHooks317<T, I = { id?: string; options?: T }> {
  validateConfig?(config: T, integration?: I): Promise<void | IntegrationTestResult>;
  onUpdate?(previous: I, current: I): Promise<void> | void;
  onDelete?(integration: I): Promise<void> | void;
}
