import 'reflect-metadata';
import { join } from 'node:path';
import { startHost } from '../../../sandbox/host/harness';
import { publishDemoTrigger } from '../../../sandbox/sandbox';
import { RELIABILITY_HTTP, RELIABILITY_STREAM } from './integrations';

/**
 * One replica of the reliability suite: an Xpert-like host with the plugin, on the suite's
 * PostgreSQL server and the suite's DingTalk simulator, asking the suite's fake Xpert threads API
 * (in the parent process, so expert runs are counted across replicas and kills). Prints `READY <url>`
 * once it serves. Configured by the parent through the environment.
 */
async function main(): Promise<void> {
  const env = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`host process: ${name} is not set`);
    return value;
  };
  const port = Number(env('RELIABILITY_PORT'));
  const simulator = env('RELIABILITY_SIMULATOR_URL');
  const url = `http://127.0.0.1:${port}`;
  const host = await startHost({
    port,
    database: { url: env('RELIABILITY_DATABASE_URL') },
    integrations: [RELIABILITY_HTTP, RELIABILITY_STREAM],
    pluginConfig: {
      apiBaseUrl: simulator,
      oapiBaseUrl: simulator,
      streamGatewayUrl: `${simulator}/v1.0/gateway/connections/open`,
      publicBaseUrl: url,
      // A short lease, so a killed replica's jobs come back within a minute rather than two. A
      // lease survives a database outage up to 2/3 of its length (renewals every third), and the
      // suite's longest outage lasts about 30 s.
      worker: { pollIntervalMs: 50, leaseMs: 60000, shutdownGraceMs: 2000 },
      reconcileIntervalMs: 2000,
      // One spool per replica, the same one after a restart (its port is fixed), so a killed
      // replica drains what it acknowledged from its spool when it comes back.
      spool: { dir: join(env('RELIABILITY_SPOOL_DIR'), String(port)), drainIntervalMs: 200 },
    },
    logger: ['error', 'warn'],
  });
  await publishDemoTrigger(host, env('RELIABILITY_XPERT_URL'));
  process.stdout.write(`READY ${host.url}\n`);
  const stop = () => void host.close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error) => {
  process.stderr.write(`host process failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
