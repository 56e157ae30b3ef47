import { Deliverer, newDeliveryLog, sleep } from './delivery';
import { collectFigures, formatFigures, scenarioLine, type DeliveryFigures } from './figures';
import { quotedTag, settle } from './settle';
import { planTraffic, sendTraffic } from './traffic';
import type { World } from './world';

export interface NoRedeliveryResult {
  figures: DeliveryFigures;
  /** Messages whose one delivery got no acknowledgement: the sender saw the failure (see README). */
  unacked: number;
  /** Of those, how many were answered anyway (stored, then the replica died before the ACK left). */
  unackedAnswered: number;
  /** Acknowledged messages that were never answered: what the plugin lost. */
  lost: number;
  outageMs: number;
  kills: number;
  settled: boolean;
  report: string;
  line: string;
}

/**
 * DingTalk as documented: every message is delivered exactly once (one HTTP POST to a random live
 * replica, or one Stream push), and nothing is ever pushed again. Meanwhile PostgreSQL goes away for
 * `outageMs`, and one replica is SIGKILLed `kills` times (never during the outage) and restarted.
 * Whatever was acknowledged must be answered exactly once: acknowledged from the spool while the
 * database was down, drained when it came back, or drained at the killed replica's next boot.
 */
export async function runNoRedelivery(input: {
  world: World;
  messages: number;
  outageMs: number;
  kills: number;
  ratePerSecond: number;
  settleMs: number;
  runId: string;
  random: () => number;
}): Promise<NoRedeliveryResult> {
  const { world, random } = input;
  const gateway = world.simulator.gateway;
  const previous = gateway.redelivery;
  gateway.setRedelivery('none');
  try {
    const plan = planTraffic({ runId: input.runId, count: input.messages, sessionsPerMode: 50, random });
    for (const message of plan.flat()) message.copies = 1;
    const log = newDeliveryLog();
    const deliverer = new Deliverer({ simulator: world.simulator, cluster: world.cluster, log, random, once: true });
    const victim = world.cluster.replicas[1];
    const killsBefore = victim.kills;
    const pidsBefore = victim.pids.length;
    let sent = 0;
    let outageMs = 0;
    const reached = (share: number) => waitUntil(() => sent >= Math.round(share * input.messages));
    const kill = async () => {
      // Interrupt work in flight where there is some; a bounded wait, traffic may have ended.
      await waitUntil(async () => (await world.runningOn(victim.pids[victim.pids.length - 1]).catch(() => 0)) > 0, 20_000).catch(() => undefined);
      await world.cluster.kill(victim);
      await world.cluster.restart(victim);
      await world.streamConnected();
    };
    const chaos = async () => {
      await reached(0.15);
      if (input.kills > 0) await kill();
      await reached(0.3);
      const stopAt = Date.now();
      await world.pg.stop();
      await sleep(input.outageMs);
      await world.pg.start();
      outageMs = Date.now() - stopAt;
      // "Never during the outage": for a replica it lasts until its spool is drained. Killed before
      // that, it answers those events at its next boot, possibly after later messages of the same
      // chats (README, Intake spool) — a loss of order nothing can prevent, and not what is measured.
      await waitUntil(() => world.spooledEvents() === 0, 60_000);
      for (let k = 1; k < input.kills; k++) {
        await reached(0.55 + (0.35 * k) / input.kills);
        await kill();
      }
    };
    const chaosDone = chaos();
    await sendTraffic({ plan, simulator: world.simulator, deliverer, concurrency: 16, ratePerSecond: input.ratePerSecond, random, onAcked: (n) => (sent = n) });
    await chaosDone;

    const ackedTags = [...log.ackedIds];
    const { settled } = await settle(world, ackedTags, input.settleMs);
    const killedPids = victim.pids.slice(pidsBefore - 1, -1);
    const figures = await collectFigures({ plan, log, simulatorMessages: world.simulator.messages(), runs: world.xpert.runs(), databaseUrl: world.databaseUrl, killedPids });
    const answered = new Set(world.simulator.messages().map(quotedTag).filter((t): t is string => !!t));
    const tags = plan.flat().map((m) => m.tag);
    const unackedTags = tags.filter((t) => !log.ackedIds.has(t));
    const lost = ackedTags.filter((t) => !answered.has(t)).length;
    const unackedAnswered = unackedTags.filter((t) => answered.has(t)).length;
    const kills = victim.kills - killsBefore;
    const result = { figures, unacked: unackedTags.length, unackedAnswered, lost, outageMs, kills, settled };
    const title = `no redelivery (each message delivered once, never pushed again; PostgreSQL down ${(outageMs / 1000).toFixed(1)} s; ${victim.name} SIGKILLed ${kills}× and restarted)`;
    const report = formatFigures(title, { ...figures, lost, duplicatesDelivered: 0 }, [
      `acknowledged ${ackedTags.length}, unacknowledged ${unackedTags.length} (the sender saw the failure; answered anyway: ${unackedAnswered}); lost = acknowledged but never answered`,
      `settled: ${settled}`,
    ]);
    return { ...result, report, line: scenarioLine('no-redelivery', { ...figures, lost }) };
  } finally {
    gateway.setRedelivery(previous);
  }
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error('no-redelivery: condition not reached in time');
    await sleep(100);
  }
}
