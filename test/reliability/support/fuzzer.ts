import type { DingTalkSimulator } from '../../../sandbox/simulator';
import type { Cluster } from './cluster';
import { fuzzCase } from './fuzz-bodies';

export interface FuzzFigures {
  sent: number;
  /** status → count, per category. */
  byCategory: Record<string, Record<string, number>>;
  accepted2xx: number;
  refused4xx: number;
  failed5xx: number;
  noResponse: number;
}

/** Sends `count` fuzz cases to random live replicas, `concurrency` at a time, and tallies the answers. */
export async function runFuzzer(options: { cluster: Cluster; simulator: DingTalkSimulator; count: number; concurrency: number; random: () => number }): Promise<FuzzFigures> {
  const figures: FuzzFigures = { sent: 0, byCategory: {}, accepted2xx: 0, refused4xx: 0, failed5xx: 0, noResponse: 0 };
  let next = 0;
  const worker = async () => {
    while (next < options.count) {
      next += 1;
      const fuzz = fuzzCase(options.random, options.simulator, Date.now());
      const live = options.cluster.live();
      const replica = live[Math.floor(options.random() * live.length)];
      let status: string;
      try {
        const response = await fetch(`${replica.url}${fuzz.path}`, { method: 'POST', headers: fuzz.headers, body: fuzz.body });
        await response.arrayBuffer();
        status = String(response.status);
      } catch {
        status = 'no-response';
      }
      figures.sent += 1;
      const tally = (figures.byCategory[fuzz.category] ??= {});
      tally[status] = (tally[status] ?? 0) + 1;
      if (status === 'no-response') figures.noResponse += 1;
      else if (status.startsWith('2')) figures.accepted2xx += 1;
      else if (status.startsWith('4')) figures.refused4xx += 1;
      else figures.failed5xx += 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return figures;
}

export function formatFuzz(f: FuzzFigures, rowsBefore: Record<string, number>, rowsAfter: Record<string, number>): string {
  const lines = [
    'reliability: fuzzer',
    `  bodies sent                ${f.sent}`,
    `  refused with a 4xx         ${f.refused4xx}`,
    `  accepted (2xx)             ${f.accepted2xx}`,
    `  5xx                        ${f.failed5xx}`,
    `  no response (crash)        ${f.noResponse}`,
    `  rows before → after        inbox ${rowsBefore.inbox} → ${rowsAfter.inbox}, handoff ${rowsBefore.handoff} → ${rowsAfter.handoff}, outbox ${rowsBefore.outbox} → ${rowsAfter.outbox}`,
    ...Object.entries(f.byCategory)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([category, statuses]) => `    ${category.padEnd(24)} ${Object.entries(statuses).map(([s, n]) => `${s}×${n}`).join(' ')}`),
  ];
  return lines.join('\n');
}
