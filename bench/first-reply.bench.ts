import { randomBytes } from 'node:crypto';
import { parsePluginConfig } from '../src/config/plugin-config';
import { DEMO_HTTP } from '../sandbox/demo';
import { startSandbox, type Sandbox } from '../sandbox/sandbox';
import { DingTalkUserDriver } from '../sandbox/simulator/user-driver';
import { summarize, type LatencySummary } from './percentiles';
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
 */
export const LOADED_REPLY_RATIO_MAX = 3;
/** A message without a reply by then counts as unanswered. */
const REPLY_TIMEOUT_MS = 30_000;

export interface PhaseFigures {
  messages: number;
  concurrency: number;
  ack: LatencySummary;
  firstReply: LatencySummary;
}

export interface FirstReplyFigures {
  solo: PhaseFigures;
  loaded: PhaseFigures;
  /** The worker as the user gets it: the sandbox sets no worker config, so these are the defaults. */
  workerConcurrency: number;
  pollIntervalMs: number;
  failures: string[];
}

/**
 * Inbound → first reply on the whole stack: a signed HTTP-mode robot message to the plugin, durably
 * stored and acked, claimed by the handoff worker, run by the demo expert through the (fake) Xpert
 * threads API, and answered into the DingTalk simulator. The webhook ack of the same messages is
 * the baseline: the reply can never beat it, and the ratio shows what the asynchronous half adds.
 * Simulator, host, plugin, fake Xpert and this driver share one Node process, so with several
 * messages in flight the figure includes waiting for that one event loop.
 */
export async function firstReplyBench(databaseUrl: string): Promise<FirstReplyFigures> {
  const restore = quietLogs();
  let sandbox: Sandbox | undefined;
  try {
    sandbox = await startSandbox({ databaseUrl });
    return await measure(sandbox);
  } finally {
    await sandbox?.close();
    restore();
  }
}

async function measure(sandbox: Sandbox): Promise<FirstReplyFigures> {
  const driver = new DingTalkUserDriver({ simulator: sandbox.simulator, app: DEMO_HTTP.options });
  const webhook = `${sandbox.url}/api/dingtalk/webhook/${DEMO_HTTP.id}`;
  const watch = new ReplyWatch(sandbox.simulator.events, `fr${randomBytes(4).toString('hex')}`);
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
    await Promise.all(Array.from({ length: inFlight }, user));
    const answered = watch.replies.length;
    if (answered !== count) failures.push(`${answered} of ${count} messages answered (${inFlight} in flight)`);
    return { messages: count, concurrency: inFlight, ack: summarize(ackMs), firstReply: summarize(watch.replies) };
  };
  try {
    // One untimed round first: connection pools, the first thread and JIT warm up outside the figures.
    await phase('w', 1, 1);
    const solo = await phase('s', SOLO_MESSAGES, 1);
    const loaded = await phase('m', MESSAGES, CONCURRENCY);
    if (loaded.firstReply.p50Ms > LOADED_REPLY_RATIO_MAX * solo.firstReply.p50Ms) {
      failures.push(`first reply p50 ${loaded.firstReply.p50Ms} ms at ${CONCURRENCY} in flight is more than ${LOADED_REPLY_RATIO_MAX} × ${solo.firstReply.p50Ms} ms one at a time`);
    }
    const worker = parsePluginConfig({}).worker;
    return { solo, loaded, workerConcurrency: worker.concurrency, pollIntervalMs: worker.pollIntervalMs, failures };
  } finally {
    watch.close();
  }
}
