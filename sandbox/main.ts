import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolveHostProfile } from './host/host-profile';
import { dataDirProblem } from './data-dir';
import { startSandbox } from './sandbox';

/**
 * `npm start`: the whole DingTalk ↔ Xpert path on one machine, no DingTalk tenant, no Xpert server,
 * no public URL. PORT (default 3000), DATA_DIR (default .data/sandbox) and XPERT_HOST_PROFILE
 * (3.17 by default — the current host line — or 3.7) are honoured, and DATABASE_URL or
 * DINGTALK_DATABASE_URL put the stand-in host and the plugin on that PostgreSQL database instead of
 * the embedded one (e.g. a copy of a server the earlier 0.0.9 plugin ran on).
 */
async function main(): Promise<void> {
  const dataDir = resolve(process.env.DATA_DIR || '.data/sandbox');
  const databaseUrlSet = Boolean(process.env.DATABASE_URL || process.env.DINGTALK_DATABASE_URL);
  const problem = databaseUrlSet ? undefined : dataDirProblem(dataDir);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
  mkdirSync(dataDir, { recursive: true });
  const profile = resolveHostProfile(undefined, '3.17');
  const databaseUrl = process.env.DATABASE_URL || process.env.DINGTALK_DATABASE_URL || undefined;
  const sandbox = await startSandbox({
    profile,
    port: Number(process.env.PORT || 3000),
    dataDir,
    databaseUrl,
    simulatorPort: process.env.SIMULATOR_PORT ? Number(process.env.SIMULATOR_PORT) : undefined,
  });
  const lines = [
    '',
    `DingTalk sandbox is running (Xpert host profile ${profile})`,
    `  page (open in a browser):  ${sandbox.url}/sandbox/`,
    `  state (JSON, loopback):    ${sandbox.url}/sandbox/api/state`,
    `  DingTalk simulator:        ${sandbox.simulator.baseUrl}  (calls: ${sandbox.simulator.baseUrl}/_simulator/calls)`,
    `  HTTP-mode webhook:         ${sandbox.url}/api/dingtalk/webhook/${sandbox.integrations.http}`,
    databaseUrl ? `  database:                  ${redactedUrl(databaseUrl)}` : `  data folder:               ${dataDir}`,
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

/** The URL without its password, for the banner. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(DATABASE_URL)';
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
