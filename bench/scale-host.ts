import 'reflect-metadata';
import { WorkflowTriggerRegistry } from '@xpert-ai/plugin-sdk';
import { DEMO_API_KEY, DEMO_XPERT_ID } from '../sandbox/demo';
import { startHost, type IntegrationInput } from '../sandbox/host/harness';

/**
 * One replica of the scale run: an Xpert-like host with the plugin and every integration of the run,
 * on the bench's PostgreSQL database, the bench's DingTalk simulator and fake Xpert threads API (in
 * the parent process). Prints `READY <url>` once it serves. Configured through the environment.
 */
async function main(): Promise<void> {
  const env = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`scale host: ${name} is not set`);
    return value;
  };
  const port = Number(env('RELIABILITY_PORT'));
  const simulator = env('SCALE_SIMULATOR_URL');
  const xpertApiBaseUrl = env('SCALE_XPERT_URL');
  const integrations = JSON.parse(env('SCALE_INTEGRATIONS')) as IntegrationInput[];
  const host = await startHost({
    port,
    database: { url: env('SCALE_DATABASE_URL') },
    integrations,
    pluginConfig: {
      apiBaseUrl: simulator,
      oapiBaseUrl: simulator,
      streamGatewayUrl: `${simulator}/v1.0/gateway/connections/open`,
      publicBaseUrl: `http://127.0.0.1:${port}`,
      reconcileIntervalMs: 0,
    },
    logger: ['error'],
  });
  const trigger = host.get(WorkflowTriggerRegistry).get('dingtalk', 'global');
  for (const integration of integrations) {
    await trigger.publish(
      { xpertId: DEMO_XPERT_ID, config: { enabled: true, integrationId: integration.id, xpertApiKey: DEMO_API_KEY, xpertApiBaseUrl, sessionTimeoutSeconds: 3600, summaryWindowSeconds: 0 } },
      () => undefined,
    );
  }
  process.stdout.write(`READY ${host.url}\n`);
  const stop = () => void host.close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error) => {
  process.stderr.write(`scale host failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
