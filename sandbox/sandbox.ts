import type { LoggerService } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { startHost, type HostHarness, type HostProfile } from './host/harness';
import { resolveHostProfile } from './host/host-profile';
import { createFakeThreadsApi, type FakeThreadsApi } from './fake-xpert/threads-api';
import { createSimulator, type DingTalkSimulator } from './simulator';
import { WorkflowTriggerRegistry } from '@xpert-ai/plugin-sdk';
import { DEMO_API_KEY, DEMO_HTTP, DEMO_STREAM, DEMO_XPERT_ID } from './demo';
import { mountSandboxRoutes } from './sandbox.routes';
import { SandboxHistoryFile } from './sandbox-api/history-file';
import type { DemoThread } from './fake-xpert/demo-expert';
import { UserMessageLog } from './sandbox-api/conversations';
import { join } from 'node:path';
import { freePort } from './free-port';

export interface SandboxOptions {
  port?: number;
  /** PGlite data folder (ignored with databaseUrl). */
  dataDir?: string;
  databaseUrl?: string;
  simulatorPort?: number;
  /** Extra plugin config (tests). */
  pluginConfig?: Record<string, unknown>;
  /** Host line the harness plays (default `XPERT_HOST_PROFILE`, else 3.7). */
  profile?: HostProfile;
  /**
   * The host offers its handoff queue (as a 3.17 host does): the demo triggers are published with no
   * API key and answers come through the host's own dispatch instead of the threads API.
   */
  handoffQueue?: boolean;
  /** Where the plugin and host log (tests capture it); default: the console at log level and up. */
  logger?: LoggerService;
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
  // On the embedded database the chats and the demo expert's memory live next to it, so a restart
  // continues where the plugin's sessions are (a server database is the user's own: nothing extra).
  const historyFile = options.dataDir && !options.databaseUrl ? new SandboxHistoryFile(join(options.dataDir, 'sandbox-history.json')) : undefined;
  const history = historyFile?.load();
  const userMessages = new UserMessageLog();
  if (history) {
    userMessages.restore(history.user);
    simulator.restoreMessages(history.bot);
  }
  const xpert = createFakeThreadsApi({ apiKey: DEMO_API_KEY, ...(history ? { threads: history.threads } : {}) });
  let exportConversations: () => DemoThread[] = () => history?.conversations ?? [];
  const persist = () => historyFile?.save({ user: userMessages.list(), bot: simulator.messages(), threads: xpert.exportThreads(), conversations: exportConversations() });
  // Links in replies (End conversation, Confirm/Reject) need this server's public origin up front.
  const port = options.port || (await freePort());
  let url = `http://127.0.0.1:${port}`;
  const started: { host?: HostHarness } = {};
  // A 3.17 host offers its handoff queue, so the demo bots answer through the host's own dispatch.
  const dispatch = options.handoffQueue ?? resolveHostProfile(options.profile, '3.7') === '3.17';
  const host = await startHost({
    profile: options.profile,
    port,
    database: options.databaseUrl ? { url: options.databaseUrl } : { dataDir: options.dataDir },
    integrations: [DEMO_HTTP, DEMO_STREAM],
    // Several at once, as the host's queue (concurrency 20): envelopes stream while the expert writes.
    handoffQueue: dispatch ? { experts: [DEMO_XPERT_ID], concurrency: 4, conversations: history?.conversations ?? [] } : false,
    pluginConfig: {
      apiBaseUrl: simulator.baseUrl,
      oapiBaseUrl: simulator.baseUrl,
      streamGatewayUrl: `${simulator.baseUrl}/v1.0/gateway/connections/open`,
      publicBaseUrl: url,
      // Beside the PGlite folder, not in it (initdb refuses a folder holding other files).
      ...(options.dataDir ? { spool: { dir: `${options.dataDir}-spool` } } : {}),
      ...options.pluginConfig,
    },
    logger: options.logger ?? ['error', 'warn', 'log'],
    configure: (app: NestExpressApplication) => {
      const express = app.getHttpAdapter().getInstance();
      express.use('/api/ai', (req: any, res: any, next: () => void) => (xpert.handle(req, res) ? undefined : next()));
      mountSandboxRoutes(express, { simulator, url: () => url, host: () => started.host, userMessages, onChange: persist });
    },
  });
  url = host.url;
  started.host = host;
  const queue = host.handoffQueue;
  if (queue) exportConversations = () => queue.exportConversations();
  await publishDemoTrigger(host, url, dispatch ? 'host-dispatch' : 'threads-api');
  // Written only once the database has been created in the folder (it must start empty).
  if (historyFile) simulator.events.on('message', persist);
  return {
    url,
    host,
    simulator,
    xpert,
    integrations: { http: DEMO_HTTP.id, stream: DEMO_STREAM.id },
    close: async () => {
      simulator.events.off('message', persist);
      await host.close();
      persist();
      await xpert.close();
      await simulator.close();
    },
  };
}

/**
 * What an expert builder does in the studio: a DingTalk trigger on the demo expert for each demo
 * integration. With `threads-api` it is published with an Xpert API key so answers stream through
 * the threads API (here the fake one mounted on this same host); with `host-dispatch` it carries no
 * key, and the host's trigger callback takes the plugin's dispatch onto the host's handoff queue.
 */
export async function publishDemoTrigger(host: HostHarness, xpertApiBaseUrl: string, runner: 'threads-api' | 'host-dispatch' = 'threads-api'): Promise<void> {
  const trigger = host.get(WorkflowTriggerRegistry).get('dingtalk', 'global');
  const queue = runner === 'host-dispatch' ? host.handoffQueue : undefined;
  const keyed = queue ? {} : { xpertApiKey: DEMO_API_KEY, xpertApiBaseUrl };
  for (const integration of [DEMO_HTTP, DEMO_STREAM]) {
    await trigger.publish(
      { xpertId: DEMO_XPERT_ID, config: { enabled: true, integrationId: integration.id, ...keyed, sessionTimeoutSeconds: 3600, summaryWindowSeconds: 0 } },
      queue ? queue.triggerCallback(DEMO_XPERT_ID) : () => undefined,
    );
  }
}
