import { Injectable } from '@nestjs/common';
import { HarnessHandoffQueue } from '../../../sandbox/host/handoff-queue';
import { HandoffProcessorStrategy, type HandoffMessage, type ProcessResult } from '../../../src/host/handoff.contract';

// The harness's stand-in for the host's handoff queue: processors found by their metadata,
// redelivery on `retry` or a throw with the attempt counted, dead letters at maxAttempts.

const TYPE = 'plugin.test.work.v1';

@Injectable()
@HandoffProcessorStrategy(TYPE, { types: [TYPE], policy: { lane: 'main' } })
class ScriptedProcessor {
  readonly seen: number[] = [];
  constructor(private readonly script: (attempt: number) => ProcessResult | Error) {}

  async process(message: HandoffMessage): Promise<ProcessResult> {
    this.seen.push(message.attempt);
    const next = this.script(message.attempt);
    if (next instanceof Error) throw next;
    return next;
  }
}

function message(maxAttempts: number): HandoffMessage {
  return { id: `m-${maxAttempts}-${Math.random()}`, type: TYPE, version: 1, tenantId: 't', sessionKey: 's', businessKey: 'b', attempt: 1, maxAttempts, enqueuedAt: 0, traceId: 'x', payload: {} };
}

function queueWith(processor: ScriptedProcessor): HarnessHandoffQueue {
  const queue = new HarnessHandoffQueue();
  expect(queue.discover({ getProviders: () => [{ instance: processor }, { instance: {} }, { instance: undefined }] as never })).toEqual([TYPE]);
  return queue;
}

it('redelivers after a retry answer and after a throw, each time with the next attempt', async () => {
  const processor = new ScriptedProcessor((attempt) => (attempt === 1 ? { status: 'retry', delayMs: 1 } : attempt === 2 ? new Error('crashed') : { status: 'ok' }));
  const queue = queueWith(processor);
  await queue.enqueue(message(5));
  await queue.idle();
  expect(processor.seen).toEqual([1, 2, 3]);
  expect(queue.history().map((entry) => entry.outcome)).toEqual(['retry', 'threw', 'ok']);
  expect(queue.dead()).toEqual([]);
});

it('dead-letters a message once maxAttempts deliveries failed, and one without a processor at once', async () => {
  const processor = new ScriptedProcessor(() => ({ status: 'retry', delayMs: 0, reason: 'not yet' }));
  const queue = queueWith(processor);
  await queue.enqueue(message(3));
  await queue.enqueue({ ...message(3), type: 'plugin.nobody.work.v1' });
  await queue.idle();
  expect(processor.seen).toEqual([1, 2, 3]);
  expect(queue.dead().map((entry) => entry.reason)).toEqual([expect.stringContaining('No handoff processor found'), 'not yet']);
});

it('refuses a message without the ids the host requires', async () => {
  const queue = new HarnessHandoffQueue();
  await expect(queue.enqueue({ ...message(1), tenantId: '' })).rejects.toThrow('Invalid handoff message');
});
