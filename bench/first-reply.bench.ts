import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parsePluginConfig } from '../src/config/plugin-config';
import { DEMO_HTTP, DEMO_STREAM } from '../sandbox/demo';
import { freePort } from '../sandbox/free-port';
import { createSimulator, type DingTalkSimulator } from '../sandbox/simulator';
import { DingTalkUserDriver } from '../sandbox/simulator/user-driver';
import { Cluster } from '../test/reliability/support/cluster';
import { summarize, type LatencySummary } from './percentiles';
import { cpuSince, sampleCpu, type CpuSample } from './process-cpu';
import { quietLogs } from './quiet-logs';
import { ReplyWatch } from './reply-watch';

const MESSAGES = Number(process.env.BENCH_REPLY_MESSAGES || 200);
/**
 * Messages in flight, each until its first reply (a closed loop: a user sends the next message once
 * answered). Open-loop posting at ack speed would outrun the worker and time the backlog instead.
 */
const CONCURRENCY = Number(process.env.BENCH_REPLY_CONCURRENCY || 8);
/**
 * Sent one at a time first: the path's own latency with nothing queued, and proof that the worker is
 * woken on enqueue (a polled worker would show up to a poll interval here).
 */
const SOLO_MESSAGES = Number(process.env.BENCH_REPLY_SOLO_MESSAGES || 50);
/**
 * With several users in flight, a first reply may take at most this many times as long as alone:
 * no shared budget (the session webhook has none of the OpenAPI's) may queue one user behind another.
 * Checked with the thinking expert, the run with an expert's time to first token in it.
 */
export const LOADED_REPLY_RATIO_MAX = 3;
/**
 * The instant expert makes every answer pure CPU, so with more answers in flight than cores its p50
 * is set by how the cores are shared (cpuFloorMs). The check there: no more than this much above
 * that floor — what a queue of the plugin's own (a worker slot, a budget, a lock) would add.
 */
export const CPU_FLOOR_SLACK_MAX = 1.5;

/**
 * The least p50 `inFlight` CPU-bound messages can have on `cores`: in a closed loop, Little's law
 * gives p50 ≈ inFlight × (CPU per message) / (cores busy), whatever the design.
 */
export function cpuFloorMs(inFlight: number, cpuPerMessageMs: number, cores: number): number {
  return (inFlight * cpuPerMessageMs) / cores;
}

export const cpuTotal = (c: CpuSample): number => c.bench + c.host + c.postgres;
/** A message without a reply by then counts as unanswered. */
const REPLY_TIMEOUT_MS = 30_000;

export interface PhaseFigures {
  messages: number;
  concurrency: number;
  ack: LatencySummary;
  firstReply: LatencySummary;
  /** CPU time per message in this phase, by process (ms). */
  cpuPerMessage: CpuSample;
  /** Share of all cores busy while the phase's messages were answered. */
  busyShare: number;
}

export interface FirstReplyFigures {
  /** The expert's time to its first token (0: the instant echo expert). */
  thinkMs: number;
  solo: PhaseFigures;
  loaded: PhaseFigures;
  /** Share of all the machine's cores busy during the loaded phase (every process, PostgreSQL too). */
  loadedBusyShare: number;
  cores: number;
  /** The worker as the user gets it: the bench sets no worker config, so these are the defaults. */
  workerConcurrency: number;
  pollIntervalMs: number;
  failures: string[];
}

/**
 * The expert of the second run: a model's time to first token. The instant echo expert keeps the
 * whole stack CPU-bound, so with more messages in flight than cores its figure mostly shows the
 * cores being shared; with a model's wait, what remains is what one user waits for another —
 * worker slots, budgets, locks.
 */
export const THINKING_EXPERT_MS = Number(process.env.BENCH_EXPERT_THINK_MS || 250);

const REPLY_HOST_ENTRY = resolve(__dirname, 'reply-host.ts');
const LOG_DIR = join(process.cwd(), 'test-results', 'bench-reply');

/** DingTalk's side of the run, and where the plugin's webhook is. */
interface ReplyStage {
  simulator: DingTalkSimulator;
  url: string;
  hostPid: number;
  close(): Promise<void>;
}

/**
 * Inbound → first reply on the whole stack: a signed HTTP-mode robot message to the plugin, durably
 * stored and acked, claimed by the handoff worker, run by the demo expert through the (fake) Xpert
 * threads API, and answered into the DingTalk simulator. The webhook ack of the same messages is
 * the baseline: the reply can never beat it, and the ratio shows what the asynchronous half adds.
 *
 * DingTalk's side — the simulator and the users posting to it — runs in the bench process, Xpert's
 * side — the host with the plugin and the threads API it serves — in a process of its own
 * (bench/reply-host.ts): in production they are different machines, and sharing one event loop
 * would time the simulator's work as the plugin's. PostgreSQL and both processes still share this
 * machine's cores.
 */
export async function firstReplyBench(databaseUrl: string, thinkMs = 0): Promise<FirstReplyFigures> {
  const restore = quietLogs();
  let stage: ReplyStage | undefined;
  try {
    stage = await startStage(databaseUrl, thinkMs);
    return { thinkMs, ...(await measure(stage, thinkMs)) };
  } finally {
    await stage?.close();
    restore();
  }
}

async function startStage(databaseUrl: string, thinkMs: number): Promise<ReplyStage> {
  const simulator = await createSimulator();
  for (const app of [DEMO_HTTP, DEMO_STREAM]) simulator.apps.register({ clientId: app.options.clientId, clientSecret: app.options.clientSecret });
  const cluster = new Cluster({
    ports: [await freePort()],
    entry: REPLY_HOST_ENTRY,
    logDir: LOG_DIR,
    env: { BENCH_DATABASE_URL: databaseUrl, BENCH_SIMULATOR_URL: simulator.baseUrl, BENCH_EXPERT_THINK_MS: String(thinkMs) },
  });
  const close = async () => {
    await cluster.stop().catch(() => undefined);
    await simulator.close();
  };
  try {
    await cluster.start();
    // The demo Stream bot connects too, as in the sandbox; its connection is part of the host's load.
    await simulator.gateway.waitForConnection(DEMO_STREAM.options.clientId);
  } catch (error) {
    await close();
    throw error;
  }
  const pids = cluster.replicas[0].pids;
  return { simulator, url: cluster.replicas[0].url, hostPid: pids[pids.length - 1], close };
}

async function measure(stage: ReplyStage, thinkMs: number): Promise<Omit<FirstReplyFigures, 'thinkMs'>> {
  const driver = new DingTalkUserDriver({ simulator: stage.simulator, app: DEMO_HTTP.options });
  const webhook = `${stage.url}/api/dingtalk/webhook/${DEMO_HTTP.id}`;
  const watch = new ReplyWatch(stage.simulator.events, `fr${randomBytes(4).toString('hex')}`);
  const failures: string[] = [];
  let ackMs: number[] = [];
  /** Posts one message and waits for its first reply. */
  const converse = async (name: string) => {
    const tag = watch.tag(name);
    // Built before the clock starts: this is DingTalk's side of the work.
    const body = driver.robotMessage({ conversationType: 'private', text: tag, senderStaffId: `user-${tag}` });
    const start = watch.sent(tag);
    const response = await driver.postRobotMessage(webhook, body);
    ackMs.push(performance.now() - start);
    if (response.status !== 200) failures.push(`message ${name}: webhook answered ${response.status} ${JSON.stringify(response.body)}`);
    else if (!(await watch.reply(tag, REPLY_TIMEOUT_MS))) failures.push(`message ${name}: no reply within ${REPLY_TIMEOUT_MS / 1000} s`);
  };
  /** `count` messages, `inFlight` users at a time; figures of this phase only. */
  const phase = async (prefix: string, count: number, inFlight: number): Promise<PhaseFigures> => {
    watch.reset();
    ackMs = [];
    let next = 0;
    const user = async () => {
      for (let i = next++; i < count; i = next++) await converse(`${prefix}${i}`);
    };
    const cpuBefore = sampleCpu(stage.hostPid);
    const cores = coreTimes();
    await Promise.all(Array.from({ length: inFlight }, user));
    const busyShare = busyShareSince(cores);
    // What the rest of each answer costs after its first reply belongs to the message too.
    await settleCpu(stage.hostPid);
    const cpu = cpuSince(cpuBefore, sampleCpu(stage.hostPid));
    const answered = watch.replies.length;
    if (answered !== count) failures.push(`${answered} of ${count} messages answered (${inFlight} in flight)`);
    const perMessage = (ms: number) => Math.round((ms / count) * 10) / 10;
    const cpuPerMessage = { bench: perMessage(cpu.bench), host: perMessage(cpu.host), postgres: perMessage(cpu.postgres) };
    return { messages: count, concurrency: inFlight, ack: summarize(ackMs), firstReply: summarize(watch.replies), cpuPerMessage, busyShare };
  };
  try {
    // One untimed round first: connection pools, the first thread and JIT warm up outside the figures.
    await phase('w', 1, 1);
    // A thinking expert takes ~10 × longer per message; fewer messages give as many samples per second.
    const scale = thinkMs > 0 ? 0.4 : 1;
    const solo = await phase('s', Math.max(1, Math.round(SOLO_MESSAGES * scale)), 1);
    const loaded = await phase('m', Math.max(CONCURRENCY, Math.round(MESSAGES * scale)), CONCURRENCY);
    const loadedBusyShare = loaded.busyShare;
    const floor = cpuFloorMs(CONCURRENCY, cpuTotal(loaded.cpuPerMessage), cpus().length);
    if (thinkMs > 0 && loaded.firstReply.p50Ms > LOADED_REPLY_RATIO_MAX * solo.firstReply.p50Ms) {
      failures.push(`first reply p50 ${loaded.firstReply.p50Ms} ms at ${CONCURRENCY} in flight is more than ${LOADED_REPLY_RATIO_MAX} × ${solo.firstReply.p50Ms} ms one at a time`);
    }
    if (thinkMs === 0 && loaded.firstReply.p50Ms > CPU_FLOOR_SLACK_MAX * floor) {
      failures.push(`first reply p50 ${loaded.firstReply.p50Ms} ms at ${CONCURRENCY} in flight is more than ${CPU_FLOOR_SLACK_MAX} × the CPU floor of ${floor.toFixed(1)} ms`);
    }
    const worker = parsePluginConfig({}).worker;
    return { solo, loaded, loadedBusyShare, cores: cpus().length, workerConcurrency: worker.concurrency, pollIntervalMs: worker.pollIntervalMs, failures };
  } finally {
    watch.close();
  }
}

/** Waits until the host has been idle for a moment: the last answers' closing messages are sent. */
async function settleCpu(hostPid: number): Promise<void> {
  let last = sampleCpu(hostPid).host;
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = sampleCpu(hostPid).host;
    if (now - last < 5) return;
    last = now;
  }
}

/** Busy and total CPU time of all cores so far (every process on the machine). */
function coreTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const sum = times.user + times.nice + times.sys + times.irq + times.idle;
    total += sum;
    busy += sum - times.idle;
  }
  return { busy, total };
}

function busyShareSince(start: { busy: number; total: number }): number {
  const now = coreTimes();
  const total = now.total - start.total;
  return total > 0 ? (now.busy - start.busy) / total : 0;
}
