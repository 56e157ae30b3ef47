import 'reflect-metadata';
import { cpus, totalmem } from 'node:os';
import { Client } from 'pg';
import { firstReplyBench, THINKING_EXPERT_MS } from './first-reply.bench';
import { ingestBench } from './ingest.bench';
import { graphileAnchor } from './graphile-anchor';
import { queueBench, QUEUE_SHAPE } from './queue.bench';
import { firstReplyReport, ingestReport, queueReport, scaleReport } from './report';
import { scaleBench, SCALE_SHAPE } from './scale.bench';

/**
 * `npm run bench`: every figure is taken in this one run on this machine, and speed is reported as a
 * ratio against a baseline measured alongside it. Needs a PostgreSQL server (DATABASE_URL, default
 * the local one); each entry gets its own throwaway database, created and dropped here, because the
 * ingest entry leaves thousands of queued jobs behind that a running worker would otherwise pick up.
 * A failed check prints a FAILED line; the run goes on to the next entry and exits non-zero.
 *
 * `npm run bench` runs ingest, queue (with its graphile-worker anchor) and first reply;
 * `npm run bench -- <entry> …` runs only the named ones (ingest, queue, reply, scale).
 */
const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 50);

const DEFAULT_ENTRIES = ['ingest', 'queue', 'reply'];
const ALL_ENTRIES = [...DEFAULT_ENTRIES, 'scale'];

async function main(): Promise<number> {
  const adminUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const asked = process.argv.slice(2);
  const unknown = asked.filter((entry) => !ALL_ENTRIES.includes(entry));
  if (unknown.length > 0) throw new Error(`unknown bench entr${unknown.length === 1 ? 'y' : 'ies'} ${unknown.join(', ')}; choose from ${ALL_ENTRIES.join(', ')}`);
  const entries = new Set(asked.length > 0 ? asked : DEFAULT_ENTRIES);
  print(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  let failures = 0;

  if (entries.has('ingest')) {
    print(`\ningest: ${CONNECTIONS} connections, ${SECONDS} s per endpoint, PostgreSQL server`);
    const ingest = await withDatabase(adminUrl, (url) => ingestBench(url, SECONDS, CONNECTIONS));
    const lines = ingestReport(ingest);
    lines.forEach(print);
    failures += lines.filter((line) => line.startsWith('FAILED')).length;
  }

  if (entries.has('queue')) {
    print(`\nqueue: real handoff workers, one pool each, PostgreSQL server; baseline ${SECONDS} s of SELECT 1; anchor graphile-worker`);
    const queue = await withDatabase(adminUrl, (url) => queueBench(url, SECONDS));
    const anchor = await withDatabase(adminUrl, (url) => graphileAnchor(url, QUEUE_SHAPE.workers, queue.concurrency, queue.jobs, queue.sessions));
    queueReport(queue, anchor).forEach(print);
    failures += queue.failures.length + anchor.failures.length;
  }

  if (entries.has('reply')) {
    print('\ninbound → first reply: DingTalk simulator and users in the bench process, host with the plugin and its threads API in another; HTTP-mode robot messages');
    print('each message from its own sender (own conversation), in flight until its first reply');
    for (const thinkMs of [0, THINKING_EXPERT_MS]) {
      print(thinkMs === 0 ? '\ninstant echo expert (the whole stack CPU-bound):' : `\necho expert with a model's wait of ${thinkMs} ms before its first token:`);
      const reply = await withDatabase(adminUrl, (url) => firstReplyBench(url, thinkMs));
      firstReplyReport(reply).forEach(print);
      failures += reply.failures.length;
    }
  }

  if (entries.has('scale')) {
    const { integrations, conversations, replicas, perAppQps } = SCALE_SHAPE;
    print(`\nscale: ${integrations} integrations (half HTTP, half Stream) × ${conversations} conversations, ${replicas} replica processes on one PostgreSQL server, simulator limit ${perAppQps} calls/s per app per API`);
    const scale = await withDatabase(adminUrl, (url) => scaleBench(url));
    scaleReport(scale).forEach(print);
    failures += scale.failures.length;
  }

  return failures === 0 ? 0 : 1;
}

async function withDatabase<T>(adminUrl: string, work: (url: string) => Promise<T>): Promise<T> {
  const name = `dingtalk_bench_${Date.now()}`;
  await admin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    return await work(url.toString());
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
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
