import type { DingTalkSimulator } from '../../../sandbox/simulator';
import type { SimMessage } from '../../../sandbox/simulator/types';
import { sleep } from './delivery';
import type { World } from './world';

const ANSWER = /You said:\*\* reliability check \[([0-9a-z]+m\d{5})\]/;

/** The tag of the message a bot message answers: the demo expert quotes what it answers. */
export function quotedTag(message: SimMessage): string | undefined {
  return ANSWER.exec(JSON.stringify(message.content ?? ''))?.[1];
}

/** The tag a finished answer quotes: its card was finalized (or a markdown answer was sent). */
export function answeredTag(message: SimMessage): string | undefined {
  const content = message.content as { stream?: { finalized?: boolean } } | undefined;
  if (message.kind === 'card' && !content?.stream?.finalized) return undefined;
  return quotedTag(message);
}

/**
 * Resolves once every tag has a finished answer at the simulator and the queue holds no open job,
 * or after `timeoutMs` (the caller's figures then show what is missing). Polls: the wait is for a
 * distributed system to go quiet, not a timing under test.
 */
export async function settle(world: World, tags: string[], timeoutMs: number): Promise<{ settled: boolean; waitedMs: number }> {
  const started = Date.now();
  const wanted = new Set(tags);
  while (Date.now() - started < timeoutMs) {
    if (missing(world.simulator, wanted) === 0 && (await world.openJobs().catch(() => 1)) === 0) {
      // A stray second run would take a moment to surface as a message: give it that moment.
      await sleep(1500);
      return { settled: true, waitedMs: Date.now() - started };
    }
    await sleep(500);
  }
  return { settled: false, waitedMs: Date.now() - started };
}

function missing(simulator: DingTalkSimulator, wanted: Set<string>): number {
  const seen = new Set<string>();
  for (const message of simulator.messages()) {
    const tag = answeredTag(message);
    if (tag && wanted.has(tag)) seen.add(tag);
  }
  return wanted.size - seen.size;
}
