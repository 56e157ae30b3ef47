import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { DEMO_API_KEY } from '../../../sandbox/demo';
import { createFakeThreadsApi, type FakeThreadsApi } from '../../../sandbox/fake-xpert/threads-api';
import { createSimulator, type DingTalkSimulator } from '../../../sandbox/simulator';
import { Cluster } from './cluster';
import { RELIABILITY_HTTP, RELIABILITY_STREAM } from './integrations';
import { freePort } from '../../../sandbox/free-port';
import { startPostgresInstance, type PostgresInstance } from './postgres-instance';

export interface World {
  pg: PostgresInstance;
  databaseUrl: string;
  simulator: DingTalkSimulator;
  xpert: FakeThreadsApi;
  cluster: Cluster;
  /** Rows in the plugin's tables, for "left nothing behind" checks. */
  rowCounts(): Promise<Record<string, number>>;
  /** Jobs not finished yet (queued or running). */
  openJobs(): Promise<number>;
  /** Jobs finished so far. */
  doneJobs(): Promise<number>;
  /** Jobs the process `pid` holds a lease on right now. */
  runningOn(pid: number): Promise<number>;
  /** Events acknowledged from a replica's spool and not drained into the inbox yet (lines on disk). */
  spooledEvents(): number;
  /** Resolves once every replica has its Stream connection open at the simulator. */
  streamConnected(): Promise<void>;
  close(): Promise<void>;
}

export const LOG_DIR = join(process.cwd(), 'test-results', 'reliability');
/** Short, so a push lost with PostgreSQL down is pushed again within seconds (DingTalk: ~60 s of retries). */
const STREAM_ACK_TIMEOUT_MS = 3000;

/**
 * Everything the suite runs against: its own PostgreSQL server, the DingTalk simulator (Stream
 * gateway included) and the fake Xpert threads API in this process, and two host replicas as
 * separate processes sharing the database.
 */
export async function startWorld(replicas = 2): Promise<World> {
  const pg = await startPostgresInstance(await freePort());
  const databaseUrl = pg.url.replace(/\/postgres$/, '/dingtalk');
  await query(pg.url, 'CREATE DATABASE dingtalk');
  // The scenarios written for a DingTalk that pushes again keep that switch; `no-redelivery` turns it off.
  const simulator = await createSimulator({ streamAckTimeoutMs: STREAM_ACK_TIMEOUT_MS, streamRedelivery: 'sdk-60s' });
  const spoolDir = join(LOG_DIR, 'spool');
  rmSync(spoolDir, { recursive: true, force: true });
  for (const app of [RELIABILITY_HTTP, RELIABILITY_STREAM]) simulator.apps.register({ clientId: app.options.clientId, clientSecret: app.options.clientSecret });
  const xpert = createFakeThreadsApi({ apiKey: DEMO_API_KEY });
  const xpertUrl = await xpert.listen();
  const ports = await Promise.all(Array.from({ length: replicas }, () => freePort()));
  const cluster = new Cluster({
    ports,
    env: { RELIABILITY_DATABASE_URL: databaseUrl, RELIABILITY_SIMULATOR_URL: simulator.baseUrl, RELIABILITY_XPERT_URL: xpertUrl, RELIABILITY_SPOOL_DIR: spoolDir },
    logDir: LOG_DIR,
  });
  await cluster.start();
  const world: World = {
    pg,
    databaseUrl,
    simulator,
    xpert,
    cluster,
    rowCounts: async () => {
      const rows = await query(databaseUrl, `SELECT (SELECT count(*) FROM plugin_dingtalk_inbox)::int AS inbox, (SELECT count(*) FROM plugin_dingtalk_handoff)::int AS handoff, (SELECT count(*) FROM plugin_dingtalk_outbox)::int AS outbox`);
      return rows[0] as Record<string, number>;
    },
    openJobs: async () => {
      const rows = await query(databaseUrl, `SELECT count(*)::int AS n FROM plugin_dingtalk_handoff WHERE status IN ('queued', 'running')`);
      return (rows[0] as { n: number }).n;
    },
    doneJobs: async () => {
      const rows = await query(databaseUrl, `SELECT count(*)::int AS n FROM plugin_dingtalk_handoff WHERE status = 'done'`);
      return (rows[0] as { n: number }).n;
    },
    runningOn: async (pid) => {
      const rows = await query(databaseUrl, `SELECT count(*)::int AS n FROM plugin_dingtalk_handoff WHERE status = 'running' AND lease_owner LIKE '%:${Math.trunc(pid)}:%'`);
      return (rows[0] as { n: number }).n;
    },
    spooledEvents: () => countSpoolLines(spoolDir),
    streamConnected: async () => {
      await simulator.gateway.waitForConnection(RELIABILITY_STREAM.options.clientId, { count: cluster.live().length });
    },
    close: async () => {
      await cluster.stop().catch(() => undefined);
      await xpert.close().catch(() => undefined);
      await simulator.close().catch(() => undefined);
      await pg.destroy();
    },
  };
  await world.streamConnected();
  return world;
}

export async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Lines in every spool file below `dir`: one per spooled event (a drained segment is deleted). */
function countSpoolLines(dir: string): number {
  if (!existsSync(dir)) return 0;
  let lines = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      if (statSync(path).isDirectory()) lines += countSpoolLines(path);
      else if (name.endsWith('.spool')) lines += readFileSync(path, 'utf8').split('\n').filter((line) => line !== '').length;
    } catch {
      // Deleted by its drainer between the listing and the read: nothing left in it.
    }
  }
  return lines;
}
