import { DingTalkClient } from '../../../src/dingtalk/client';
import type { ExpertRunResult, ExpertStreamEvent } from '../../../src/runner/expert-runner.port';
import { ReplyService, type ReplyActions, type ReplyServiceOptions } from '../../../src/reply';
import { type ReplyTarget } from '../../../src/kernel/run-context';
import { createSimulator, type DingTalkSimulator, type SimMessage } from '../../../sandbox/simulator';
import { DingTalkUserDriver } from '../../../sandbox/simulator/user-driver';
import { openTestDatabase, resetTables, type TestDatabase } from '../../support/database';

/**
 * Shared set-up of the reply integration tests: the DingTalk simulator over real HTTP, a real
 * database (PGlite, or the server in DATABASE_URL), a user driver that hands out real
 * sessionWebhooks, and a fake clock/sleep so throttling is decided by the test, not by wall time.
 */

export const APP = { clientId: 'dingreplyapp', clientSecret: 'reply-secret-1' };
export const INTEGRATION = 'integration-reply-1';
export const SEND_PATHS = /^\/(robot\/sendBySession|v1\.0\/robot\/(oToMessages\/batchSend|groupMessages\/send))$/;

export interface FakeClock {
  now: () => number;
  advance: (ms: number) => void;
  set: (ms: number) => void;
  /** Every sleep the code asked for (the fake sleep advances the clock instead of waiting). */
  sleeps: number[];
  sleep: (ms: number) => Promise<void>;
}

export function fakeClock(start = Date.now()): FakeClock {
  let current = start;
  const sleeps: number[] = [];
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
    set: (ms) => {
      current = ms;
    },
    sleeps,
    sleep: async (ms) => {
      sleeps.push(ms);
      current += ms;
    },
  };
}

export interface ReplyWorld {
  sim: DingTalkSimulator;
  database: TestDatabase;
  driver: DingTalkUserDriver;
  clock: FakeClock;
  client(): DingTalkClient;
  service(extra?: Partial<ReplyServiceOptions>): ReplyService;
  target(kind: 'private' | 'group', overrides?: Partial<ReplyTarget>): ReplyTarget;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function openReplyWorld(): Promise<ReplyWorld> {
  const sim = await createSimulator();
  sim.apps.register(APP);
  const database = await openTestDatabase();
  const clock = fakeClock();
  const driver = new DingTalkUserDriver({ simulator: sim, app: APP, now: () => clock.now() });
  const client = () =>
    new DingTalkClient({ ...APP, apiBaseUrl: sim.baseUrl, oapiBaseUrl: sim.baseUrl, timeoutMs: 3000, retryBaseMs: 1, retryMaxMs: 4, rateLimit: { perSecond: 0 } });
  return {
    sim,
    database,
    driver,
    clock,
    client,
    service: (extra = {}) =>
      new ReplyService({
        db: database.db,
        client: () => client(),
        hosts: { apiBaseUrl: sim.baseUrl, oapiBaseUrl: sim.baseUrl },
        now: clock.now,
        sleep: clock.sleep,
        ...extra,
      }),
    target: (kind, overrides = {}) => {
      const msg = driver.robotMessage({ conversationType: kind, senderStaffId: 'staff001', senderNick: 'Li Lei', text: 'hello' });
      return {
        integrationId: INTEGRATION,
        conversationType: kind,
        conversationId: String(msg.conversationId),
        senderStaffId: String(msg.senderStaffId),
        senderNick: String(msg.senderNick),
        sessionWebhook: String(msg.sessionWebhook),
        sessionWebhookExpiresAt: Number(msg.sessionWebhookExpiredTime),
        language: 'en',
        ...overrides,
      };
    },
    reset: async () => {
      await resetTables(database.db);
      sim.faults.clear();
      sim.clearCalls();
      sim.clearMessages();
      clock.set(Date.now());
      clock.sleeps.length = 0;
    },
    close: async () => {
      await sim.close();
      await database.close();
    },
  };
}

/** Text deltas of `text`, `size` characters each (like a model streaming tokens). */
export function deltas(text: string, size = 37): ExpertStreamEvent[] {
  const events: ExpertStreamEvent[] = [];
  for (let i = 0; i < text.length; i += size) events.push({ type: 'text', delta: text.slice(i, i + size) });
  return events;
}

/** Feeds events in order, then finishes with the joined text. */
export async function answer(
  service: ReplyService,
  target: ReplyTarget,
  key: string,
  events: ExpertStreamEvent[],
  result: Partial<ExpertRunResult> = {},
  actions: ReplyActions = {},
): Promise<void> {
  const session = await service.open(target, key);
  for (const event of events) await session.onEvent(event);
  const text = events.map((e) => (e.type === 'text' ? e.delta : '')).join('');
  await session.finish({ text, status: 'idle', ...result }, actions);
}

/** The markdown text of a robot, webhook or card message, as the user reads it. */
export function textOf(message: SimMessage): string {
  const content = message.content as Record<string, any>;
  if (message.kind === 'card') return content.cardParamMap?.content ?? '';
  if (message.kind === 'webhook') return content.markdown?.text ?? content.actionCard?.text ?? '';
  return content.text ?? '';
}

/** A long answer mixing ASCII, Chinese and lists, without code fences (chunks join back exactly). */
export function longAnswer(chars: number): string {
  const parts: string[] = [];
  let n = 0;
  while (parts.join('').length < chars) {
    n += 1;
    parts.push(n % 5 === 0 ? `## Part ${n}\n\n` : '', `- item ${n}: 钉钉机器人回复第${n}段，内容要完整。 The quick brown fox jumps over the lazy dog.\n`);
    if (n % 7 === 0) parts.push('\n');
  }
  return parts.join('').slice(0, chars);
}
