import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

export interface PostgresInstance {
  url: string;
  port: number;
  /** `pg_ctl stop -m fast`: open sessions are cut, as on a real restart or failover. */
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * A PostgreSQL server of the suite's own (initdb into a temp folder, its own port), so the suite can
 * stop and start it mid-run without disturbing anything else that uses the machine's server. Uses
 * the installed server binaries; as root (CI) it runs them as the `postgres` user, since PostgreSQL
 * refuses to run as root.
 */
export async function startPostgresInstance(port: number): Promise<PostgresInstance> {
  const bin = serverBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'dingtalk-reliability-pg-'));
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const ids = await run('id', ['-u', 'postgres']).then((r) => Number(r.stdout.trim()));
    const gid = await run('id', ['-g', 'postgres']).then((r) => Number(r.stdout.trim()));
    chownSync(dir, ids, gid);
  }
  const pg = (tool: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args));
  const data = join(dir, 'data');
  await pg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  const start = async () => {
    await pg('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  };
  await start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await waitForServer(url);
  return {
    url,
    port,
    stop: async () => {
      await pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
    start: async () => {
      await start();
      await waitForServer(url);
    },
    destroy: async () => {
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function serverBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => join(root, v, 'bin')).find((dir) => existsSync(join(dir, 'initdb')));
  if (!found) throw new Error('reliability suite: no PostgreSQL server binaries under /usr/lib/postgresql (install the postgresql package)');
  return found;
}

async function waitForServer(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const client = new Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(`reliability suite: PostgreSQL at ${url} did not come up`);
}
