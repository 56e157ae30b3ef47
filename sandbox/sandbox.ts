import type { NestExpressApplication } from '@nestjs/platform-express';
import { startHost, type HostHarness } from './host/harness';
import { createFakeThreadsApi, type FakeThreadsApi } from './fake-xpert/threads-api';
import { createSimulator, type DingTalkSimulator } from './simulator';
import { WorkflowTriggerRegistry } from '@xpert-ai/plugin-sdk';
import { DEMO_API_KEY, DEMO_HTTP, DEMO_STREAM, DEMO_XPERT_ID } from './demo';
import { mountSandboxRoutes } from './sandbox.routes';
import { freePort } from './free-port';

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
  // Links in replies (End conversation, Confirm/Reject) need this server's public origin up front.
  const port = options.port || (await freePort());
  let url = `http://127.0.0.1:${port}`;
  const started: { host?: HostHarness } = {};
  const host = await startHost({
    port,
    database: options.databaseUrl ? { url: options.databaseUrl } : { dataDir: options.dataDir },
    integrations: [DEMO_HTTP, DEMO_STREAM],
    pluginConfig: {
      apiBaseUrl: simulator.baseUrl,
      oapiBaseUrl: simulator.baseUrl,
      streamGatewayUrl: `${simulator.baseUrl}/v1.0/gateway/connections/open`,
      publicBaseUrl: url,
      // Beside the PGlite folder, not in it (initdb refuses a folder holding other files).
      ...(options.dataDir ? { spool: { dir: `${options.dataDir}-spool` } } : {}),
      ...options.pluginConfig,
    },
    logger: ['error', 'warn', 'log'],
    configure: (app: NestExpressApplication) => {
      const express = app.getHttpAdapter().getInstance();
      express.use('/api/ai', (req: any, res: any, next: () => void) => (xpert.handle(req, res) ? undefined : next()));
      mountSandboxRoutes(express, { simulator, url: () => url, host: () => started.host });
    },
  });
  url = host.url;
  started.host = host;
  await publishDemoTrigger(host, url);
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

/**
 * What an expert builder does in the studio: a DingTalk trigger on the demo expert for each demo
 * integration, published with an Xpert API key so answers stream through the threads API (here the
 * fake one mounted on this same host).
 */
export async function publishDemoTrigger(host: HostHarness, xpertApiBaseUrl: string): Promise<void> {
  const trigger = host.get(WorkflowTriggerRegistry).get('dingtalk', 'global');
  for (const integration of [DEMO_HTTP, DEMO_STREAM]) {
    await trigger.publish(
      { xpertId: DEMO_XPERT_ID, config: { enabled: true, integrationId: integration.id, xpertApiKey: DEMO_API_KEY, xpertApiBaseUrl, sessionTimeoutSeconds: 3600, summaryWindowSeconds: 0 } },
      () => undefined,
    );
  }
}
