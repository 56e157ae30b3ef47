import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { startSandbox } from './sandbox';

/**
 * `npm start`: the whole DingTalk ↔ Xpert path on one machine, no DingTalk tenant, no Xpert server,
 * no public URL. PORT (default 3000) and DATA_DIR (default .data/sandbox) are honoured.
 */
async function main(): Promise<void> {
  const dataDir = resolve(process.env.DATA_DIR || '.data/sandbox');
  mkdirSync(dataDir, { recursive: true });
  const sandbox = await startSandbox({
    port: Number(process.env.PORT || 3000),
    dataDir,
    databaseUrl: process.env.DATABASE_URL || undefined,
    simulatorPort: process.env.SIMULATOR_PORT ? Number(process.env.SIMULATOR_PORT) : undefined,
    // A 3.17 host answers through its own dispatch (no API key); any other profile uses the threads API.
    handoffQueue: process.env.XPERT_HOST_PROFILE === '3.17',
  });
  const lines = [
    '',
    'DingTalk sandbox is running',
    `  page (open in a browser):  ${sandbox.url}/sandbox/`,
    `  state (JSON, loopback):    ${sandbox.url}/sandbox/api/state`,
    `  DingTalk simulator:        ${sandbox.simulator.baseUrl}  (calls: ${sandbox.simulator.baseUrl}/_simulator/calls)`,
    `  HTTP-mode webhook:         ${sandbox.url}/api/dingtalk/webhook/${sandbox.integrations.http}`,
    `  data folder:               ${dataDir}`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  const stop = async () => {
    await sandbox.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
