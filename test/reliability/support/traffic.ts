import type { DingTalkSimulator } from '../../../sandbox/simulator';
import { DingTalkUserDriver } from '../../../sandbox/simulator/user-driver';
import type { Deliverer } from './delivery';
import { integrationOf, type Mode } from './integrations';

export type { Mode };

export interface PlannedMessage {
  /** Unique in the run; also the DingTalk msgId, so inbox rows and jobs map back to it. */
  tag: string;
  mode: Mode;
  /** The text the user types; the demo expert echoes it as `**You said:** <text>`. */
  text: string;
  conversationType: 'private' | 'group';
  conversationId?: string;
  senderStaffId: string;
  /** How often DingTalk delivers it (1–3). */
  copies: number;
}

/** Messages of one chat session (one person in one chat), in the order that person sends them. */
export type SessionPlan = PlannedMessage[];

const GROUPS_PER_MODE = 4;
const PRIVATE_SHARE = 0.6;

/**
 * `count` messages over both modes: per mode, `sessions` chat sessions — most of them private chats,
 * the rest people @-mentioning the bot in a few groups — each sending its messages in order.
 */
export function planTraffic(options: { runId: string; count: number; sessionsPerMode: number; random: () => number }): SessionPlan[] {
  const { runId, count, sessionsPerMode, random } = options;
  const sessions: SessionPlan[] = Array.from({ length: 2 * sessionsPerMode }, () => []);
  for (let i = 0; i < count; i++) {
    const index = i % sessions.length;
    const mode: Mode = index < sessionsPerMode ? 'http' : 'stream';
    const s = index % sessionsPerMode;
    const group = s >= Math.round(sessionsPerMode * PRIVATE_SHARE);
    const tag = `${runId}m${String(i).padStart(5, '0')}`;
    sessions[index].push({
      tag,
      mode,
      text: `reliability check [${tag}]`,
      conversationType: group ? 'group' : 'private',
      ...(group ? { conversationId: `cidRel${runId}${mode}G${s % GROUPS_PER_MODE}` } : {}),
      senderStaffId: `rel.${runId}.${mode}.u${s}`,
      copies: 1 + Math.floor(random() * 3),
    });
  }
  return sessions.filter((plan) => plan.length > 0);
}

/**
 * Sends every session's messages, sessions in parallel (at most `concurrency` deliveries at once),
 * each session in order: the next message goes out once the previous one was acknowledged. Extra
 * copies go out at random, some racing the first delivery, some after it. `onAcked` sees the running
 * count of acknowledged messages (the chaos schedule hangs off it).
 */
export async function sendTraffic(options: {
  plan: SessionPlan[];
  simulator: DingTalkSimulator;
  deliverer: Deliverer;
  concurrency: number;
  /** New messages per second, so the traffic spans the time the replicas need to answer it. */
  ratePerSecond: number;
  random: () => number;
  onAcked?: (acked: number) => void;
}): Promise<void> {
  const { plan, simulator, deliverer, random } = options;
  const limit = new Semaphore(options.concurrency);
  const pace = pacer(options.ratePerSecond);
  const extras: Promise<void>[] = [];
  let acked = 0;
  const deliverOnce = (message: PlannedMessage, body: Record<string, unknown>) => limit.run(() => deliverer.deliver(message.mode, { ...integrationOf(message.mode).options, id: integrationOf(message.mode).id }, body));

  await Promise.all(
    plan.map(async (session) => {
      for (const message of session) {
        await pace();
        const driver = new DingTalkUserDriver({ simulator, app: integrationOf(message.mode).options });
        const body = driver.robotMessage({
          conversationType: message.conversationType,
          text: message.text,
          senderStaffId: message.senderStaffId,
          msgId: message.tag,
          ...(message.conversationId ? { conversationId: message.conversationId, conversationTitle: 'Reliability group' } : {}),
        });
        const racing = Array.from({ length: message.copies - 1 }, () => random() < 0.5);
        for (const race of racing) if (race) extras.push(deliverOnce(message, body));
        await deliverOnce(message, body);
        options.onAcked?.(++acked);
        for (const race of racing) if (!race) extras.push(deliverOnce(message, body));
      }
    }),
  );
  await Promise.all(extras);
}

/** Resolves callers one slot after another, `perSecond` slots a second. */
function pacer(perSecond: number): () => Promise<void> {
  const gapMs = 1000 / perSecond;
  let next = Date.now();
  return async () => {
    const at = next;
    next = Math.max(next, Date.now()) + gapMs;
    const wait = at - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  };
}

class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await work();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}
