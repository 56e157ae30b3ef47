import 'reflect-metadata';
import { cpus, totalmem } from 'node:os';
import { Client } from 'pg';
import { ingestBench } from './ingest.bench';

/**
 * `npm run bench`: every figure is taken in this one run on this machine, and speed is reported as a
 * ratio against a baseline measured alongside it. Needs a PostgreSQL server (DATABASE_URL, default
 * the local one); a throwaway database is created and dropped.
 */
const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 50);

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `dingtalk_bench_${Date.now()}`;
  await admin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    print(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
    print(`ingest: ${CONNECTIONS} connections, ${SECONDS} s per endpoint, PostgreSQL server`);
    const ingest = await ingestBench(url.toString(), SECONDS, CONNECTIONS);
    print('| endpoint | req/s | p50 ms | p99 ms | requests | non-2xx |');
    print('|---|---:|---:|---:|---:|---:|');
    for (const r of [ingest.bare, ingest.robot, ingest.event]) {
      print(`| ${r.name} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.total} | ${r.non2xx + r.errors} |`);
    }
    print(`ratio robot/bare: ${(ingest.robot.requestsPerSecond / ingest.bare.requestsPerSecond).toFixed(2)} of the throughput; event/bare: ${(ingest.event.requestsPerSecond / ingest.bare.requestsPerSecond).toFixed(2)}`);
    print(`ack p99: robot ${ingest.robot.p99Ms} ms, event ${ingest.event.p99Ms} ms (DingTalk allows 1500 ms)`);
  } finally {
    await admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
