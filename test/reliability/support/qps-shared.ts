import type { SimCall } from '../../../sandbox/simulator/types';
import { Deliverer, newDeliveryLog } from './delivery';
import { collectFigures, type DeliveryFigures } from './figures';
import { settle } from './settle';
import { planTraffic, sendTraffic } from './traffic';
import { query, type World } from './world';

/**
 * Scenario `qps-shared`: both replicas answer `count` conversations that all start at once (one
 * message each, over both modes), while the simulator enforces DingTalk's limit of `limit` calls
 * per second per API per app, counted across every connection. The API budget the replicas share
 * through PostgreSQL must keep every app under the limit: no call is refused for QPS (so none can
 * reach a user), every answer is delivered, and no API of any app sees more than `limit` calls
 * arrive within any one second.
 */

const QPS_CODES = new Set(['Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', 'Forbidden.AccessDenied.QpsLimitForApi', '90018', '90002']);

export interface QpsSharedResult {
  figures: DeliveryFigures;
  /** Calls the simulator refused for QPS. */
  qpsRefusals: number;
  /** Most calls of one API of one app admitted within any one second. */
  busiestSecond: number;
  /** OpenAPI calls made (admitted or not). */
  apiCalls: number;
  /** Most replicas seen sharing one app's budget (live heartbeats) during the run. */
  replicasSharing: number;
  settled: boolean;
  line: string;
}

export async function runQpsShared(input: { world: World; runId: string; count: number; limit: number; random: () => number; settleMs: number }): Promise<QpsSharedResult> {
  const { world, random } = input;
  const since = Date.now();
  world.simulator.faults.set({ rateLimitPerSecond: input.limit });
  let sharing = 0;
  const watchSharing = setInterval(() => {
    void replicasSharing(world).then((n) => (sharing = Math.max(sharing, n)), () => undefined);
  }, 1000);
  try {
    const plan = planTraffic({ runId: input.runId, count: input.count, sessionsPerMode: Math.ceil(input.count / 2), random });
    const log = newDeliveryLog();
    const deliverer = new Deliverer({ simulator: world.simulator, cluster: world.cluster, log, random });
    // All conversations at once: as many deliveries in flight as there are conversations.
    await sendTraffic({ plan, simulator: world.simulator, deliverer, concurrency: input.count, ratePerSecond: 10_000, random });
    const { settled } = await settle(world, plan.flat().map((m) => m.tag), input.settleMs);
    const figures = await collectFigures({ plan, log, simulatorMessages: world.simulator.messages(), runs: world.xpert.runs(), databaseUrl: world.databaseUrl, killedPids: [] });
    const calls = world.simulator.calls().filter((c) => c.time >= since && c.clientId !== undefined);
    const qpsRefusals = calls.filter((c) => c.errorCode !== undefined && QPS_CODES.has(c.errorCode)).length;
    const busiest = busiestSecond(calls.filter((c) => c.errorCode === undefined || !QPS_CODES.has(c.errorCode)));
    const line = [
      'scenario=qps-shared',
      `sent=${figures.messages}`,
      `lost=${figures.lost}`,
      `duplicate_answers=${figures.duplicateAnswers}`,
      `duplicate_runs=${figures.duplicateRuns}`,
      `http_5xx=${figures.http5xx}`,
      `qps_refusals=${qpsRefusals}`,
      `busiest_second=${busiest}`,
      `limit=${input.limit}`,
      `api_calls=${calls.length}`,
      `answers=${figures.answers}`,
      `replicas_sharing=${sharing}`,
    ].join(' ');
    return { figures, qpsRefusals, busiestSecond: busiest, apiCalls: calls.length, replicasSharing: sharing, settled, line };
  } finally {
    clearInterval(watchSharing);
    world.simulator.faults.clear();
  }
}

/** Live members of the busiest app budget, as the replicas themselves count them. */
async function replicasSharing(world: World): Promise<number> {
  const rows = (await query(
    world.databaseUrl,
    `SELECT count(*)::int AS n FROM plugin_dingtalk_app_budget WHERE heartbeat_at > now() - make_interval(secs => stale_after_ms::double precision / 1000) GROUP BY client_id ORDER BY n DESC LIMIT 1`,
  )) as Array<{ n: number }>;
  return rows[0]?.n ?? 0;
}

/** The most calls of one (app, API) that arrived within any window of one second. */
function busiestSecond(calls: SimCall[]): number {
  const byKey = new Map<string, number[]>();
  for (const c of calls) byKey.set(`${c.clientId} ${c.path}`, [...(byKey.get(`${c.clientId} ${c.path}`) ?? []), c.time]);
  let most = 0;
  for (const times of byKey.values()) {
    times.sort((a, b) => a - b);
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i] - times[j] >= 1000) j++;
      most = Math.max(most, i - j + 1);
    }
  }
  return most;
}
