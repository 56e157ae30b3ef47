import type { NestExpressApplication } from '@nestjs/platform-express';
import { startHost, type HostHarness } from './host/harness';
import { createFakeThreadsApi, type FakeThreadsApi } from './fake-xpert/threads-api';
import { createSimulator, type DingTalkSimulator } from './simulator';
import { DEMO_API_KEY, DEMO_HTTP, DEMO_STREAM } from './demo';
import { mountSandboxRoutes } from './sandbox.routes';

export interface SandboxOptions {
  port?: number;
  /** PGlite data folder (ignored with databaseUrl). */
  dataDir?: string;
  databaseUrl?: string;
  simulatorPort?: number;
  /** Extra plugin config (tests). */
  pluginConfig?: Record<string, unknown>;
}

export interface Sandbox {
  url: string;
  host: HostHarness;
  simulator: DingTalkSimulator;
  xpert: FakeThreadsApi;
  integrations: { http: string; stream: string };
  close(): Promise<void>;
}

/**
 * The simulator (DingTalk), the host harness with the plugin (Xpert), a fake threads API with the
 * demo expert, and two demo integrations — one per connection mode.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const simulator = await createSimulator({ port: options.simulatorPort });
  simulator.apps.register({ clientId: DEMO_HTTP.options.clientId, clientSecret: DEMO_HTTP.options.clientSecret });
  simulator.apps.register({ clientId: DEMO_STREAM.options.clientId, clientSecret: DEMO_STREAM.options.clientSecret });
  const xpert = createFakeThreadsApi({ apiKey: DEMO_API_KEY });
  let url = '';
  const host = await startHost({
    port: options.port ?? 0,
    database: options.databaseUrl ? { url: options.databaseUrl } : { dataDir: options.dataDir },
    integrations: [DEMO_HTTP, DEMO_STREAM],
    pluginConfig: {
      apiBaseUrl: simulator.baseUrl,
      oapiBaseUrl: simulator.baseUrl,
      streamGatewayUrl: `${simulator.baseUrl}/v1.0/gateway/connections/open`,
      ...options.pluginConfig,
    },
    logger: ['error', 'warn', 'log'],
    configure: (app: NestExpressApplication) => {
      const express = app.getHttpAdapter().getInstance();
      express.use('/api/ai', (req: any, res: any, next: () => void) => (xpert.handle(req, res) ? undefined : next()));
      mountSandboxRoutes(express, { simulator, url: () => url });
    },
  });
  url = host.url;
  return {
    url,
    host,
    simulator,
    xpert,
    integrations: { http: DEMO_HTTP.id, stream: DEMO_STREAM.id },
    close: async () => {
      await host.close();
      await xpert.close();
      await simulator.close();
    },
  };
}
