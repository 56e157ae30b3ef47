import { randomBytes } from 'node:crypto';
import type { DingTalkSimulator } from '../../../sandbox/simulator';
import { DingTalkUserDriver, type DriverApp } from '../../../sandbox/simulator/user-driver';
import type { Cluster } from './cluster';

export const ROBOT_TOPIC = '/v1.0/im/bot/messages/get';
const GIVE_UP_MS = 120_000;

/** What one delivery attempt got back: an HTTP status, a Stream ACK code, or no answer at all. */
export type AttemptResult = ({ kind: 'http'; status: number | 'no-response' } | { kind: 'stream'; code: number | 'no-ack' }) & { at: number };

export interface DeliveryLog {
  attempts: AttemptResult[];
  /** Attempts that the plugin acknowledged (HTTP 2xx, Stream ACK 200). */
  acked: number;
  /** `once` mode: the msgIds whose one delivery was acknowledged. */
  ackedIds: Set<string>;
}

export const newDeliveryLog = (): DeliveryLog => ({ attempts: [], acked: 0, ackedIds: new Set() });

/**
 * Plays DingTalk (and the load balancer in front of the replicas) for one robot message: it keeps
 * delivering until one delivery is acknowledged — HTTP to a random live replica, retried elsewhere
 * on a refused connection or a non-2xx; Stream as a CALLBACK frame through the simulator's gateway,
 * pushed again when no ACK came in time (the gateway itself re-pushes what a dropped connection
 * left unacknowledged). Every attempt is logged, so the suite can count what was delivered.
 */
export class Deliverer {
  constructor(
    private readonly deps: {
      simulator: DingTalkSimulator;
      cluster: Cluster;
      log: DeliveryLog;
      random: () => number;
      /** DingTalk as documented: one delivery, never again, acknowledged or not. */
      once?: boolean;
    },
  ) {}

  async deliver(mode: 'http' | 'stream', app: DriverApp & { id: string }, body: Record<string, unknown>): Promise<void> {
    if (this.deps.once) {
      const acked = mode === 'http' ? await this.overHttp(app, body) : await this.pushOnce(app, body);
      if (acked) {
        this.deps.log.acked += 1;
        this.deps.log.ackedIds.add(String(body.msgId));
      }
      return;
    }
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      if (Date.now() - started > GIVE_UP_MS) throw new Error(`message ${String(body.msgId)} was never acknowledged`);
      const acked = mode === 'http' ? await this.overHttp(app, body) : await this.overStream(app, body);
      if (acked) {
        this.deps.log.acked += 1;
        return;
      }
      await sleep(Math.min(1000, 50 * 2 ** attempt));
    }
  }

  private async overHttp(app: DriverApp & { id: string }, body: Record<string, unknown>): Promise<boolean> {
    const live = this.deps.cluster.live();
    if (!live.length) return false;
    const replica = live[Math.floor(this.deps.random() * live.length)];
    const driver = new DingTalkUserDriver({ simulator: this.deps.simulator, app });
    try {
      const response = await driver.postRobotMessage(`${replica.url}/api/dingtalk/webhook/${app.id}`, body);
      this.deps.log.attempts.push({ kind: 'http', status: response.status, at: Date.now() });
      return response.status >= 200 && response.status < 300;
    } catch {
      // The replica died under the request (SIGKILL) or refused the connection.
      this.deps.log.attempts.push({ kind: 'http', status: 'no-response', at: Date.now() });
      return false;
    }
  }

  private async pushOnce(app: DriverApp, body: Record<string, unknown>): Promise<boolean> {
    const result = await this.deps.simulator.gateway.pushCallback(app.clientId, ROBOT_TOPIC, body, { messageId: `rel_${randomBytes(9).toString('hex')}` });
    this.deps.log.attempts.push({ kind: 'stream', code: result.acked ? (result.code ?? 0) : 'no-ack', at: Date.now() });
    return result.acked && result.code === 200;
  }

  private async overStream(app: DriverApp, body: Record<string, unknown>): Promise<boolean> {
    const gateway = this.deps.simulator.gateway;
    const messageId = `rel_${randomBytes(9).toString('hex')}`;
    let result = await gateway.pushCallback(app.clientId, ROBOT_TOPIC, body, { messageId });
    // Unacknowledged but still pending at the gateway: push the same frame again, as DingTalk does.
    for (let retry = 0; !(result.acked && result.code === 200) && retry < 20; retry++) {
      this.deps.log.attempts.push({ kind: 'stream', code: result.acked ? (result.code ?? 0) : 'no-ack', at: Date.now() });
      result = await gateway.redeliver(messageId);
    }
    this.deps.log.attempts.push({ kind: 'stream', code: result.acked ? (result.code ?? 0) : 'no-ack', at: Date.now() });
    return result.acked && result.code === 200;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A small seeded generator (mulberry32): the same seed gives the same run plan. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
