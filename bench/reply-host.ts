import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DEMO_API_KEY, DEMO_HTTP, DEMO_STREAM } from '../sandbox/demo';
import { createFakeThreadsApi } from '../sandbox/fake-xpert/threads-api';
import { startHost } from '../sandbox/host/harness';
import { publishDemoTrigger } from '../sandbox/sandbox';
import { quietLogs } from './quiet-logs';
import { ThinkingEchoModel } from './thinking-model';

/**
 * The Xpert side of the first-reply bench, in a process of its own: the host harness with the plugin
 * and the demo bots, the fake threads API mounted on that same host (as Xpert serves its own API),
 * and the demo trigger published — what `npm start` runs, minus the DingTalk simulator, which stays
 * in the bench process with the users. Prints `READY <url>` once it serves.
 */
async function main(): Promise<void> {
  const env = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`reply host: ${name} is not set`);
    return value;
  };
  quietLogs();
  const port = Number(env('RELIABILITY_PORT'));
  const simulator = env('BENCH_SIMULATOR_URL');
  const thinkMs = Number(process.env.BENCH_EXPERT_THINK_MS || 0);
  const xpert = createFakeThreadsApi({ apiKey: DEMO_API_KEY, ...(thinkMs > 0 ? { model: new ThinkingEchoModel(thinkMs) } : {}) });
  const host = await startHost({
    port,
    database: { url: env('BENCH_DATABASE_URL') },
    integrations: [DEMO_HTTP, DEMO_STREAM],
    pluginConfig: {
      apiBaseUrl: simulator,
      oapiBaseUrl: simulator,
      streamGatewayUrl: `${simulator}/v1.0/gateway/connections/open`,
      publicBaseUrl: `http://127.0.0.1:${port}`,
    },
    logger: ['error'],
    configure: (app: NestExpressApplication) => {
      app.getHttpAdapter().getInstance().use('/api/ai', (req: any, res: any, next: () => void) => (xpert.handle(req, res) ? undefined : next()));
    },
  });
  await publishDemoTrigger(host, process.env.BENCH_XPERT_URL || host.url);
  process.stdout.write(`READY ${host.url}\n`);
  const stop = () => void Promise.allSettled([host.close(), xpert.close()]).finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error) => {
  process.stderr.write(`reply host failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
