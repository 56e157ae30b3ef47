import { CPU_FLOOR_SLACK_MAX, cpuFloorMs, cpuTotal, LOADED_REPLY_RATIO_MAX, type FirstReplyFigures } from './first-reply.bench';
import type { AnchorFigures } from './graphile-anchor';
import type { IngestFigures } from './ingest.bench';
import type { QueueFigures } from './queue.bench';
import type { ScaleFigures } from './scale.bench';

/** The markdown each entry prints; figures in, lines out, so run.ts only sequences the entries. */

export function ingestReport(ingest: IngestFigures): string[] {
  const ratio = (r: { requestsPerSecond: number }) => (r.requestsPerSecond / ingest.bare.requestsPerSecond).toFixed(2);
  return [
    '| endpoint | req/s | p50 ms | p99 ms | requests | non-2xx |',
    '|---|---:|---:|---:|---:|---:|',
    ...[ingest.bare, ingest.robot, ingest.event].map(
      (r) => `| ${r.name} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.total} | ${r.non2xx + r.errors} |`,
    ),
    `ratio robot/bare: ${ratio(ingest.robot)} of the throughput; event/bare: ${ratio(ingest.event)}`,
    `ack p99: robot ${ingest.robot.p99Ms} ms, event ${ingest.event.p99Ms} ms (DingTalk allows 1500 ms)`,
  ];
}

export function queueReport(q: QueueFigures, anchor: AnchorFigures): string[] {
  const { drain, baseline } = q;
  const jobsPerTrip = drain.completedPerSecond / baseline.perSecond;
  return [
    '| run | concurrency | total | seconds | per s |',
    '|---|---:|---:|---:|---:|',
    `| SELECT 1 round trips (baseline) | ${baseline.concurrency} | ${baseline.total} | fixed | ${baseline.perSecond} |`,
    `| jobs claimed | ${q.workers} × ${q.concurrency} | ${drain.claimedByWorker.reduce((a, b) => a + b, 0)} | ${drain.seconds.toFixed(2)} | ${drain.claimedPerSecond} |`,
    `| jobs completed (no-op handler) | ${q.workers} × ${q.concurrency} | ${drain.completed} of ${q.jobs} | ${drain.seconds.toFixed(2)} | ${drain.completedPerSecond} |`,
    `| ${anchor.name}, one named queue per session (anchor) | ${anchor.workers} × ${anchor.concurrency} | ${anchor.completed} of ${anchor.jobs} | ${anchor.seconds.toFixed(2)} | ${anchor.completedPerSecond} |`,
    `claimed per worker: ${drain.claimedByWorker.join(', ')}; ${q.sessions} sessions; poll ${q.pollIntervalMs} ms (idle fallback: a finished job wakes its worker)`,
    `ratio jobs/round trips: ${jobsPerTrip.toPrecision(2)} (one job costs about ${Math.round(1 / jobsPerTrip)} round trips)`,
    `ratio queue/graphile-worker: ${(drain.completedPerSecond / anchor.completedPerSecond).toFixed(2)} (jobs completed per second, same jobs, workers, concurrency and server)`,
    ...checkLine('exactly once', q.failures),
    ...checkLine('anchor exactly once and in queue order', anchor.failures),
  ];
}

export function firstReplyReport(r: FirstReplyFigures): string[] {
  const { solo, loaded } = r;
  const row = (what: string, p: FirstReplyFigures['loaded']) => [
    `| ${p.concurrency} | ${what} | webhook ack (HTTP response, baseline) | ${p.ack.p50Ms} | ${p.ack.p99Ms} | ${p.ack.maxMs} |`,
    `| ${p.concurrency} | ${what} | first reply message in the simulator | ${p.firstReply.p50Ms} | ${p.firstReply.p99Ms} | ${p.firstReply.maxMs} |`,
  ];
  return [
    '| in flight | messages | from posting the message to | p50 ms | p99 ms | max ms |',
    '|---:|---:|---|---:|---:|---:|',
    ...row(String(solo.messages), solo),
    ...row(String(loaded.messages), loaded),
    `ratio first reply p50/ack p50: ${ratio(loaded.firstReply.p50Ms, loaded.ack.p50Ms)} at ${loaded.concurrency} in flight, ${ratio(solo.firstReply.p50Ms, solo.ack.p50Ms)} one at a time`,
    `ratio first reply p50 at ${loaded.concurrency} in flight / one at a time: ${ratio(loaded.firstReply.p50Ms, solo.firstReply.p50Ms)} (target ≤ ${LOADED_REPLY_RATIO_MAX} with an expert's time to first token)`,
    `worker defaults: concurrency ${r.workerConcurrency}, poll ${r.pollIntervalMs} ms; intake wakes the worker on enqueue, so the poll is only the idle fallback`,
    `cores busy during the ${loaded.concurrency}-in-flight phase: ${Math.round(r.loadedBusyShare * 100)} % of ${r.cores} (bench process, plugin host process and PostgreSQL together)`,
    ...cpuLines(r),
    ...checkLine(
      r.thinkMs > 0
        ? `every message answered; first reply p50 in flight ≤ ${LOADED_REPLY_RATIO_MAX} × one at a time`
        : `every message answered; first reply p50 in flight ≤ ${CPU_FLOOR_SLACK_MAX} × the CPU floor`,
      r.failures,
    ),
  ];
}

/**
 * How much of the loaded p50 is the cores being shared (cpuFloorMs): compared with the one-at-a-time
 * p50 the floor says what ratio a CPU-bound run cannot beat on these cores; what the measured p50
 * has above it is waiting (and cores busy with other work).
 */
function cpuLines(r: FirstReplyFigures): string[] {
  const { solo, loaded } = r;
  const describe = (c: FirstReplyFigures['solo']['cpuPerMessage']) =>
    `${cpuTotal(c).toFixed(1)} ms (DingTalk's side in the bench process ${c.bench}, plugin host ${c.host}, PostgreSQL ${c.postgres})`;
  const floorMs = cpuFloorMs(loaded.concurrency, cpuTotal(loaded.cpuPerMessage), r.cores);
  const ours = cpuFloorMs(loaded.concurrency, loaded.cpuPerMessage.host + loaded.cpuPerMessage.postgres, r.cores);
  return [
    `CPU per message: one at a time ${describe(solo.cpuPerMessage)}; ${loaded.concurrency} in flight ${describe(loaded.cpuPerMessage)}`,
    `CPU floor: ${loaded.concurrency} in flight on ${r.cores} cores cannot have a p50 below ${loaded.concurrency} × ${cpuTotal(loaded.cpuPerMessage).toFixed(1)} / ${r.cores} = ${floorMs.toFixed(1)} ms = ${ratio(floorMs, solo.firstReply.p50Ms)} × one at a time; measured ${ratio(loaded.firstReply.p50Ms, floorMs)} × the floor (without DingTalk's side on these cores the floor would be ${ratio(ours, solo.firstReply.p50Ms)} × one at a time)`,
  ];
}

export function scaleReport(s: ScaleFigures): string[] {
  return [
    '| replica | RSS start MiB | RSS peak MiB | RSS end MiB | CPU s | CPU s per 1,000 messages |',
    '|---|---:|---:|---:|---:|---:|',
    ...s.replicas.map((r) => `| ${r.name} | ${r.rssMiB.start} | ${r.rssMiB.peak} | ${r.rssMiB.end} | ${r.cpuSeconds.toFixed(1)} | ${((r.cpuSeconds / s.messages) * 1000).toFixed(1)} |`),
    `messages: ${s.messages}; answered ${s.answered}, more than once ${s.answeredTwice}; all answered in ${s.seconds.toFixed(1)} s (${Math.round(s.messages / s.seconds)} messages/s)`,
    `first reply: p50 ${s.firstReply.p50Ms} ms, p99 ${s.firstReply.p99Ms} ms, max ${s.firstReply.maxMs} ms`,
    `throttling: ${s.throttledCalls} DingTalk calls refused by the per-app limit (retried by the plugin); ${s.throttlingReachingUsers} reached a user`,
    `CPU seconds per 1,000 messages (both replicas): ${s.cpuSecondsPer1000.toFixed(1)}`,
    ...checkLine('every message answered exactly once, no throttling error reaching a user', s.failures),
  ];
}

function ratio(a: number, b: number): string {
  return (a / b).toFixed(1);
}

function checkLine(what: string, failures: readonly string[]): string[] {
  return failures.length === 0 ? [`check (${what}): ok`] : failures.map((failure) => `FAILED (${what}): ${failure}`);
}
