import { randomUUID } from 'node:crypto';
import type { LoggerService, Provider } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { startHost, type HostHarness, type HostHarnessOptions, type HostProfile } from '../../sandbox/host/harness';
import { createSimulator, type DingTalkSimulator } from '../../sandbox/simulator';
import { DingTalkUserDriver, type DriverApp } from '../../sandbox/simulator/user-driver';
import { CaptureLogger } from './capture-logger';
import { createServerDatabase, databaseUrl } from './database';

/**
 * The whole stack for integration tests: the DingTalk simulator, the host harness with the plugin
 * (PGlite in memory, or a fresh database on the server named by DATABASE_URL), and one HTTP-mode
 * and one Stream-mode integration whose apps the simulator knows.
 */
export interface PluginHost {
  host: HostHarness;
  simulator: DingTalkSimulator;
  http: { id: string; app: Required<Omit<DriverApp, 'corpId' | 'cardCallbackSecret'>> & DriverApp; driver: DingTalkUserDriver; webhookUrl: string };
  stream: { id: string; app: DriverApp };
  /** What the host and plugin logged (when no logger was given). */
  logs: CaptureLogger;
  close(): Promise<void>;
}

export interface PluginHostOptions {
  pluginConfig?: Record<string, unknown>;
  overrides?: Provider[];
  /** Extra options merged into the HTTP integration (e.g. a card callback secret). */
  httpOptions?: Record<string, unknown>;
  /** Create the stream-mode integration (default true). */
  withStream?: boolean;
  logger?: LoggerService;
  /** Host line; default `XPERT_HOST_PROFILE`, else 3.7. */
  profile?: HostProfile;
  /** Provider of the Stream-mode integration (default `dingtalk`; `dingtalk_long` as 0.0.9 saved it). */
  streamProvider?: string;
  /** Options of the Stream-mode integration instead of ours (e.g. 0.0.9's keys). */
  streamOptions?: Record<string, unknown>;
  /** Runs on the host database before the plugin boots. */
  beforeBoot?: (hostDataSource: DataSource) => Promise<void>;
  /** A database that outlives this stack (to boot again on it); by default a fresh one, dropped by close(). */
  database?: { url?: string; dataDir?: string };
  /** Fixed ids for the two integrations (to seed rows that name them before boot). */
  ids?: { http?: string; stream?: string };
  /** Offer the host's handoff queue (a 3.17 host's dispatch), see `HostHarnessOptions.handoffQueue`. */
  handoffQueue?: HostHarnessOptions['handoffQueue'];
  /** A DingTalk simulator shared with another stack (a second replica); close() leaves it running. */
  simulator?: DingTalkSimulator;
}

export const HTTP_APP = {
  clientId: 'dingtesthttpapp',
  clientSecret: 'http-app-secret-0123456789',
  robotCode: 'dingtesthttpapp',
  callbackToken: 'xpertTestToken',
  callbackAesKey: 'XpertDingTalkTestAesKey0123456789abcdefghik',
};

export const STREAM_APP = { clientId: 'dingteststreamapp', clientSecret: 'stream-app-secret-0123456789', robotCode: 'dingteststreamapp' };

export async function startPluginHost(options: PluginHostOptions = {}): Promise<PluginHost> {
  const logs = new CaptureLogger();
  const shared = options.simulator;
  const simulator = shared ?? (await createSimulator());
  simulator.apps.register(HTTP_APP);
  simulator.apps.register(STREAM_APP);
  const server = !options.database && databaseUrl ? await createServerDatabase(databaseUrl) : undefined;
  let host: HostHarness | undefined;
  const httpApp = { ...HTTP_APP, ...(options.httpOptions ?? {}) } as PluginHost['http']['app'];
  const httpId = options.ids?.http ?? randomUUID();
  const streamId = options.withStream === false ? '' : (options.ids?.stream ?? randomUUID());
  try {
    host = await startHost({
      integrations: [
        { id: httpId, name: 'DingTalk HTTP', options: { ...httpApp, mode: 'http' } },
        ...(streamId
          ? [{ id: streamId, name: 'DingTalk Stream', provider: options.streamProvider, options: options.streamOptions ?? { ...STREAM_APP, mode: 'stream' } }]
          : []),
      ],
      database: options.database ?? (server ? { url: server.url } : {}),
      pluginConfig: {
        apiBaseUrl: simulator.baseUrl,
        oapiBaseUrl: simulator.baseUrl,
        streamGatewayUrl: `${simulator.baseUrl}/v1.0/gateway/connections/open`,
        reconcileIntervalMs: 0,
        ...options.pluginConfig,
      },
      overrides: options.overrides,
      // Captured, not printed: a passing run shows no WARN/ERROR lines from failures tests provoke.
      logger: options.logger ?? logs,
      profile: options.profile,
      beforeBoot: options.beforeBoot,
      ...(options.handoffQueue !== undefined ? { handoffQueue: options.handoffQueue } : {}),
    });
    const started = host;
    return {
      host,
      simulator,
      http: { id: httpId, app: httpApp, driver: new DingTalkUserDriver({ simulator, app: httpApp }), webhookUrl: `${host.url}/api/dingtalk/webhook/${httpId}` },
      stream: { id: streamId, app: STREAM_APP },
      logs,
      close: async () => {
        await started.close();
        if (!shared) await simulator.close();
        await server?.drop();
      },
    };
  } catch (error) {
    await host?.close().catch(() => undefined);
    if (!shared) await simulator.close();
    await server?.drop();
    throw error;
  }
}
