import { randomUUID } from 'node:crypto';
import type { LoggerService, Provider } from '@nestjs/common';
import { startHost, type HostHarness, type HostHarnessOptions } from '../../sandbox/host/harness';
import { createSimulator, type DingTalkSimulator } from '../../sandbox/simulator';
import { DingTalkUserDriver, type DriverApp } from '../../sandbox/simulator/user-driver';
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
  /** Offer the host's handoff queue (a 3.17 host's dispatch), see `HostHarnessOptions.handoffQueue`. */
  handoffQueue?: HostHarnessOptions['handoffQueue'];
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
  const simulator = await createSimulator();
  simulator.apps.register(HTTP_APP);
  simulator.apps.register(STREAM_APP);
  const server = databaseUrl ? await createServerDatabase(databaseUrl) : undefined;
  let host: HostHarness | undefined;
  const httpApp = { ...HTTP_APP, ...(options.httpOptions ?? {}) } as PluginHost['http']['app'];
  const httpId = randomUUID();
  const streamId = options.withStream === false ? '' : randomUUID();
  try {
    host = await startHost({
      integrations: [
        { id: httpId, name: 'DingTalk HTTP', options: { ...httpApp, mode: 'http' } },
        ...(streamId ? [{ id: streamId, name: 'DingTalk Stream', options: { ...STREAM_APP, mode: 'stream' } }] : []),
      ],
      database: server ? { url: server.url } : {},
      pluginConfig: {
        apiBaseUrl: simulator.baseUrl,
        oapiBaseUrl: simulator.baseUrl,
        streamGatewayUrl: `${simulator.baseUrl}/v1.0/gateway/connections/open`,
        reconcileIntervalMs: 0,
        ...options.pluginConfig,
      },
      overrides: options.overrides,
      logger: options.logger,
      ...(options.handoffQueue ? { handoffQueue: options.handoffQueue } : {}),
    });
    const started = host;
    return {
      host,
      simulator,
      http: { id: httpId, app: httpApp, driver: new DingTalkUserDriver({ simulator, app: httpApp }), webhookUrl: `${host.url}/api/dingtalk/webhook/${httpId}` },
      stream: { id: streamId, app: STREAM_APP },
      close: async () => {
        await started.close();
        await simulator.close();
        await server?.drop();
      },
    };
  } catch (error) {
    await host?.close().catch(() => undefined);
    await simulator.close();
    await server?.drop();
    throw error;
  }
}
