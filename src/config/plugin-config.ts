import { join } from 'node:path';
import { z } from 'zod';

/**
 * Plugin-level configuration. A 3.7 host hands a globally installed plugin `{}` as its config, so
 * every field falls back to an environment variable before its built-in default: operators
 * configure a `PLUGINS=` install through the environment.
 */
const env = (name: string): string | undefined => {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
};

const envInt = (name: string, fallback: number): number => {
  const value = env(name);
  const parsed = value === undefined ? NaN : Number(value);
  return Number.isFinite(parsed) ? parsed : fallback;
};

export const pluginConfigSchema = z.object({
  /** PostgreSQL URL for the plugin's tables; default: the host's own database connection. */
  database: z.string().url().optional().default(() => env('DINGTALK_DATABASE_URL') as string),
  /** DingTalk new-API origin (tests and the sandbox point it at the simulator). */
  apiBaseUrl: z.string().url().default(() => env('DINGTALK_API_BASE_URL') ?? 'https://api.dingtalk.com'),
  /** DingTalk old-API origin (topapi, session webhooks). */
  oapiBaseUrl: z.string().url().default(() => env('DINGTALK_OAPI_BASE_URL') ?? 'https://oapi.dingtalk.com'),
  /** Stream gateway endpoint (`POST …/v1.0/gateway/connections/open`). */
  streamGatewayUrl: z
    .string()
    .url()
    .default(() => env('DINGTALK_STREAM_GATEWAY_URL') ?? 'https://api.dingtalk.com/v1.0/gateway/connections/open'),
  /** Public origin of this Xpert server, used in callback URLs and signed action links. */
  publicBaseUrl: z.string().url().optional().default(() => env('DINGTALK_PUBLIC_BASE_URL') ?? env('API_BASE_URL') as string),
  /** Origin of the Xpert API the expert runner calls; default: this server on its own port. */
  xpertApiBaseUrl: z.string().url().optional().default(() => env('DINGTALK_XPERT_API_BASE_URL') as string),
  /** Outbound DingTalk call timeout; DingTalk itself answers well within this. */
  requestTimeoutMs: z.number().int().min(200).max(30000).default(() => envInt('DINGTALK_REQUEST_TIMEOUT_MS', 2500)),
  webhook: z
    .object({
      /** Bodies above this are refused with 413 before any decrypt work. */
      bodyLimitBytes: z.number().int().min(1024).max(10 * 1024 * 1024).default(64 * 1024),
      /** Accepted clock skew of event callbacks, seconds. */
      eventWindowSeconds: z.number().int().min(60).max(24 * 3600).default(3600),
    })
    .default({}),
  worker: z
    .object({
      enabled: z.boolean().default(true),
      concurrency: z.number().int().min(1).max(64).default(() => envInt('DINGTALK_WORKER_CONCURRENCY', 16)),
      pollIntervalMs: z.number().int().min(10).max(60000).default(500),
      leaseMs: z.number().int().min(1000).max(3600000).default(120000),
      maxAttempts: z.number().int().min(1).max(100).default(6),
      shutdownGraceMs: z.number().int().min(0).max(600000).default(10000),
    })
    .default({}),
  delivery: z
    .object({
      /** DingTalk's limit per app per API (calls/s), shared by all replicas; 0 disables client-side limiting. */
      apiPerSecond: z.number().int().min(0).max(10000).default(() => envInt('DINGTALK_API_PER_SECOND', 20)),
      /** Session webhooks have no documented limit; 0 = not limited here. */
      sessionWebhookPerSecond: z.number().int().min(0).max(10000).default(() => envInt('DINGTALK_SESSION_WEBHOOK_PER_SECOND', 0)),
      /** How often a replica renews its membership in the app budgets (a dead one drops out after 4×). */
      budgetHeartbeatMs: z.number().int().min(100).max(60000).default(() => envInt('DINGTALK_BUDGET_HEARTBEAT_MS', 1000)),
      /** How often streaming cards of dead replicas are looked for (also once at boot). */
      cardSweepIntervalMs: z.number().int().min(100).max(3600000).default(() => envInt('DINGTALK_CARD_SWEEP_INTERVAL_MS', 30000)),
      /** How long a dead replica's card waits for a job retry to take it over before it is finalized. */
      cardAbandonAfterMs: z.number().int().min(0).max(86400000).default(() => envInt('DINGTALK_CARD_ABANDON_AFTER_MS', 180000)),
    })
    .default({}),
  /** Inbox rows (dedupe memory) older than this are purged. */
  inboxRetentionDays: z.number().int().min(1).max(365).default(7),
  /**
   * Intake spool: where an event goes when the database cannot store it, so it is still
   * acknowledged (DingTalk does not push robot messages again). One directory per replica.
   */
  spool: z
    .object({
      enabled: z.boolean().default(true),
      /** Default `<DINGTALK_DATA_DIR or ./data/plugin-dingtalk>/spool`. */
      dir: z
        .string()
        .min(1)
        .default(() => env('DINGTALK_SPOOL_DIR') ?? join(env('DINGTALK_DATA_DIR') ?? join(process.cwd(), 'data', 'plugin-dingtalk'), 'spool')),
      maxEvents: z.number().int().min(1).max(10_000_000).default(() => envInt('DINGTALK_SPOOL_MAX_EVENTS', 100_000)),
      maxBytes: z.number().int().min(4096).max(64 * 1024 * 1024 * 1024).default(() => envInt('DINGTALK_SPOOL_MAX_BYTES', 256 * 1024 * 1024)),
      /** How often a non-empty spool is offered to the database. */
      drainIntervalMs: z.number().int().min(10).max(600_000).default(1000),
      /**
       * After the database comes back, jobs this replica enqueues wait this long, so that earlier
       * messages of the same chat spooled on another replica are drained first and answered first.
       * Keep it above every replica's drainIntervalMs; 0 turns the wait off.
       */
      settleMs: z.number().int().min(0).max(600_000).default(() => envInt('DINGTALK_SPOOL_SETTLE_MS', 3000)),
    })
    .default({}),
  /** Queue housekeeping: one replica at a time purges old rows and reclaims expired leases. */
  queue: z
    .object({
      /** Pause between housekeeping rounds; 0 turns housekeeping off on this replica. */
      maintenanceIntervalMs: z.number().int().min(0).max(24 * 3600_000).default(() => envInt('DINGTALK_QUEUE_MAINTENANCE_INTERVAL_MS', 10 * 60_000)),
      /** Done jobs finished longer ago than this are deleted (dead letters stay for the operator). */
      doneRetentionHours: z.number().int().min(1).max(24 * 365).default(() => envInt('DINGTALK_QUEUE_DONE_RETENTION_HOURS', 48)),
    })
    .default({}),
  /**
   * How long an integration record read from the host is used before it is read again (0: every
   * lookup reads it). A change saved on a 3.7 host, which does not tell plugins, takes effect within
   * this; the 3.17 save and delete hooks drop the record at once.
   */
  integrationCacheMs: z.number().int().min(0).max(60_000).default(() => envInt('DINGTALK_INTEGRATION_CACHE_MS', 5000)),
  /** How often stream connections are reconciled with the host's integration records. */
  reconcileIntervalMs: z.number().int().min(0).max(3600000).default(30000),
});

export type PluginConfig = z.infer<typeof pluginConfigSchema>;
export type PluginConfigInput = z.input<typeof pluginConfigSchema>;

export function parsePluginConfig(input: unknown): PluginConfig {
  return pluginConfigSchema.parse(input ?? {});
}
