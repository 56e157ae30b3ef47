import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEMO_API_KEY } from '../sandbox/demo';
import { createFakeThreadsApi } from '../sandbox/fake-xpert/threads-api';
import { freePort } from '../sandbox/free-port';
import { createSimulator, type DingTalkSimulator } from '../sandbox/simulator';
import { DingTalkUserDriver, type DriverApp } from '../sandbox/simulator/user-driver';
import { Cluster, type Replica } from '../test/reliability/support/cluster';
import { summarize } from './percentiles';
import { ReplyWatch } from './reply-watch';

/** The shape of the run; environment overrides for a quicker look. */
export const SCALE_SHAPE = {
  integrations: Number(process.env.BENCH_SCALE_INTEGRATIONS || 50),
  conversations: Number(process.env.BENCH_SCALE_CONVERSATIONS || 20),
  replicas: 2,
  /** DingTalk's documented limit for standard-edition orgs: 20 calls/s per app per API. */
  perAppQps: 20,
  /** Deliveries in flight at once, across all bots (DingTalk's side of the load). */
  inFlight: 50,
};

const ROBOT_TOPIC = '/v1.0/im/bot/messages/get';
const REPLY_TIMEOUT_MS = Number(process.env.BENCH_SCALE_TIMEOUT_SECONDS || 180) * 1000;
const ENTRY = resolve(__dirname, 'scale-host.ts');
const LOG_DIR = join(process.cwd(), 'test-results', 'bench-scale');
/** Linux clock ticks per second for /proc/<pid>/stat (USER_HZ; 100 on every common build). */
const TICKS_PER_SECOND = 100;

export interface ReplicaFigures {
  name: string;
  rssMiB: { start: number; peak: number; end: number };
  cpuSeconds: number;
}

export interface ScaleFigures {
  messages: number;
  answered: number;
  answeredTwice: number;
  /** DingTalk API calls the simulator refused for the per-app limit (the plugin retried them). */
  throttledCalls: number;
  /** Messages a user never got an answer for, or got an error notice instead: what throttling cost users. */
  throttlingReachingUsers: number;
  firstReply: { p50Ms: number; p99Ms: number; maxMs: number };
  seconds: number;
  replicas: ReplicaFigures[];
  cpuSecondsPer1000: number;
  failures: string[];
}

interface App extends DriverApp {
  id: string;
  mode: 'http' | 'stream';
}

/**
 * Many bots at once on two replicas: `integrations` DingTalk apps (half HTTP, half Stream), each
 * with `conversations` private chats sending one message, all at once through at most `inFlight`
 * deliveries, while the simulator enforces the per-app QPS limit. Each replica is a separate host
 * process on the bench's PostgreSQL database; HTTP deliveries go to a random replica (a load
 * balancer), Stream pushes to whichever replica's connection the gateway picks.
 */
export async function scaleBench(databaseUrl: string): Promise<ScaleFigures> {
  const { integrations, conversations, replicas, perAppQps, inFlight } = SCALE_SHAPE;
  const simulator = await createSimulator({ streamAckTimeoutMs: 10_000 });
  const apps = makeApps(integrations);
  for (const app of apps) simulator.apps.register({ clientId: app.clientId, clientSecret: app.clientSecret });
  simulator.faults.set({ rateLimitPerSecond: perAppQps });
  const xpert = createFakeThreadsApi({ apiKey: DEMO_API_KEY });
  const xpertUrl = await xpert.listen();
  const ports = await Promise.all(Array.from({ length: replicas }, () => freePort()));
  const cluster = new Cluster({
    ports,
    entry: ENTRY,
    logDir: LOG_DIR,
    env: {
      SCALE_DATABASE_URL: databaseUrl,
      SCALE_SIMULATOR_URL: simulator.baseUrl,
      SCALE_XPERT_URL: xpertUrl,
      SCALE_INTEGRATIONS: JSON.stringify(apps.map((app) => ({ id: app.id, name: `Scale bot ${app.clientId}`, options: toOptions(app) }))),
    },
  });
  const watch = new ReplyWatch(simulator.events, `scale${randomBytes(3).toString('hex')}`);
  const failures: string[] = [];
  try {
    await cluster.start();
    for (const app of apps.filter((a) => a.mode === 'stream')) await simulator.gateway.waitForConnection(app.clientId, { count: replicas });
    const pids = cluster.replicas.map((replica) => replica.pids[replica.pids.length - 1]);
    const before = pids.map(sample);
    const peak = before.map((s) => s.rssMiB);
    const sampler = setInterval(() => pids.forEach((pid, i) => (peak[i] = Math.max(peak[i], sample(pid).rssMiB))), 250);

    const plan = apps.flatMap((app) => Array.from({ length: conversations }, (_, c) => ({ app, sender: `scale.${app.clientId}.u${c}`, tag: watch.tag(`${app.clientId}x${c}`) })));
    const started = performance.now();
    const limit = semaphore(inFlight);
    const answers = await Promise.all(
      plan.map(async ({ app, sender, tag }) => {
        const driver = new DingTalkUserDriver({ simulator, app });
        const body = driver.robotMessage({ conversationType: 'private', text: tag, senderStaffId: sender, msgId: `msg_${tag}` });
        await limit(async () => {
          watch.sent(tag);
          const acked = app.mode === 'http' ? await overHttp(driver, cluster.live(), app, body) : await overStream(simulator, app, body);
          if (!acked) failures.push(`${tag} was not acknowledged`);
        });
        return watch.reply(tag, REPLY_TIMEOUT_MS);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const after = pids.map(sample);

    const counts = answerCounts(simulator, watch, plan.map((p) => p.tag));
    const answered = answers.filter(Boolean).length;
    const answeredTwice = [...counts.values()].filter((n) => n > 1).length;
    const errorNotices = errorNoticeCount(simulator);
    const throttledCalls = simulator.calls().filter((call) => isThrottle(call.errorCode)).length;
    if (answered !== plan.length) failures.push(`${plan.length - answered} of ${plan.length} messages got no answer within ${REPLY_TIMEOUT_MS / 1000} s`);
    if (answeredTwice > 0) failures.push(`${answeredTwice} messages were answered more than once`);
    if (errorNotices > 0) failures.push(`${errorNotices} error notices reached users`);
    const replies = watch.replies;
    const replicaFigures = cluster.replicas.map((replica: Replica, i) => ({
      name: replica.name,
      rssMiB: { start: before[i].rssMiB, peak: peak[i], end: after[i].rssMiB },
      cpuSeconds: after[i].cpuSeconds - before[i].cpuSeconds,
    }));
    const cpu = replicaFigures.reduce((sum, r) => sum + r.cpuSeconds, 0);
    return {
      messages: plan.length,
      answered,
      answeredTwice,
      throttledCalls,
      throttlingReachingUsers: plan.length - answered + errorNotices,
      firstReply: summarize(replies),
      seconds,
      replicas: replicaFigures,
      cpuSecondsPer1000: (cpu / plan.length) * 1000,
      failures,
    };
  } finally {
    watch.close();
    await cluster.stop().catch(() => undefined);
    await xpert.close();
    await simulator.close();
  }
}

function makeApps(count: number): App[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i).padStart(4, '0');
    const mode = i % 2 === 0 ? 'http' : 'stream';
    return {
      id: `5ca1e000-0000-4000-8000-00000000${n}`,
      mode,
      clientId: `dingscale${mode === 'http' ? 'h' : 's'}${n}`,
      clientSecret: `scale-app-secret-${n}`,
      robotCode: `dingscale${mode === 'http' ? 'h' : 's'}${n}`,
    };
  });
}

function toOptions(app: App): Record<string, unknown> {
  const base = { mode: app.mode, clientId: app.clientId, clientSecret: app.clientSecret, robotCode: app.robotCode, preferredLanguage: 'en' };
  return app.mode === 'http' ? { ...base, callbackToken: `scaleToken${app.id.slice(-4)}`, callbackAesKey: `ScaleAesKey${app.id.slice(-4)}0123456789abcdefghijklmnopqrstu`.slice(0, 43) } : base;
}

/** A load balancer: a random live replica, the next one on a refused connection or non-2xx. */
async function overHttp(driver: DingTalkUserDriver, live: Replica[], app: App, body: Record<string, unknown>): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const replica = live[Math.floor(Math.random() * live.length)];
    try {
      const response = await driver.postRobotMessage(`${replica.url}/api/dingtalk/webhook/${app.id}`, body);
      if (response.status >= 200 && response.status < 300) return true;
    } catch {
      // try another replica
    }
  }
  return false;
}

async function overStream(simulator: DingTalkSimulator, app: App, body: Record<string, unknown>): Promise<boolean> {
  const messageId = `scale_${randomBytes(9).toString('hex')}`;
  let result = await simulator.gateway.pushCallback(app.clientId, ROBOT_TOPIC, body, { messageId });
  for (let retry = 0; !(result.acked && result.code === 200) && retry < 5; retry++) result = await simulator.gateway.redeliver(messageId);
  return result.acked && result.code === 200;
}

/** Robot messages that carry each tag's answer, per tag: exactly one each is "answered once". */
function answerCounts(simulator: DingTalkSimulator, watch: ReplyWatch, tags: string[]): Map<string, number> {
  const wanted = new Set(tags);
  const counts = new Map<string, number>();
  const pattern = new RegExp(`You said:\\*\\* (${watch.tag('')}\\w+)`);
  for (const message of simulator.messages()) {
    const tag = pattern.exec(JSON.stringify(message.content))?.[1];
    if (tag && wanted.has(tag)) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  }
  return counts;
}

/** Anything the robot sent that is not an echo answer but reads like an error notice. */
function errorNoticeCount(simulator: DingTalkSimulator): number {
  return simulator.messages().filter((message) => {
    const text = JSON.stringify(message.content);
    return !text.includes('You said:') && /error|failed|try again|稍后|失败|throttl|limit/i.test(text);
  }).length;
}

function isThrottle(code: string | undefined): boolean {
  return code !== undefined && (/Qps|Qpm/i.test(code) || code === '90018' || code === '90002');
}

function sample(pid: number): { rssMiB: number; cpuSeconds: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    // Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssMiB: Math.round(rssKiB / 1024), cpuSeconds: ticks / TICKS_PER_SECOND };
  } catch {
    return { rssMiB: 0, cpuSeconds: 0 };
  }
}

function semaphore(size: number): <T>(work: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    if (active >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await work();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}
