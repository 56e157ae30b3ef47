import { randomUUID } from 'node:crypto';
import type { FactoryProvider } from '@nestjs/common';
import { WorkflowTriggerRegistry } from '@xpert-ai/plugin-sdk';
import type { SimMessage } from '../../../sandbox/simulator/types';
import type { ReplyPort } from '../../../src/reply/reply.port';
import { replyPortProvider } from '../../../src/reply/reply.provider';
import { REPLY_PORT } from '../../../src/reply/reply.tokens';
import { startPluginHost, type PluginHost } from '../../support/plugin-host';
import { waitFor } from '../../support/wait-for';

// The whole stack on a host with a handoff queue, with the plugin's reply path failing once in the
// middle of an answer (as a crashing process would): the processor asks for a redelivery, the host
// queue redelivers that envelope with the next attempt, and the user still gets one answer.

const XPERT = '0d15ba7c-0000-4000-8000-0000000000b1';
let stack: PluginHost;
const crash = { armed: false, afterEvents: 4, seen: 0, crashed: 0 };

/** The real reply port, whose sessions throw once at the n-th event while armed. */
function crashingReply(real: ReplyPort): ReplyPort {
  return {
    notice: (...args) => real.notice(...args),
    open: async (...args) => {
      const session = await real.open(...args);
      return {
        finish: (...f) => session.finish(...f),
        onEvent: async (event) => {
          if (crash.armed && ++crash.seen === crash.afterEvents) {
            crash.armed = false;
            crash.crashed += 1;
            throw new Error('process died mid-answer (test)');
          }
          return session.onEvent(event);
        },
      };
    },
  };
}

beforeAll(async () => {
  const real = replyPortProvider as FactoryProvider;
  stack = await startPluginHost({
    handoffQueue: true,
    withStream: false,
    overrides: [{ provide: REPLY_PORT, inject: real.inject, useFactory: (...args: unknown[]) => crashingReply(real.useFactory(...args)) }],
  });
  const trigger = stack.host.get(WorkflowTriggerRegistry).get('dingtalk', 'global');
  await trigger.publish({ xpertId: XPERT, config: { enabled: true, integrationId: stack.http.id } } as never, stack.host.handoffQueue!.triggerCallback(XPERT));
});

afterAll(async () => {
  await stack?.close();
});

const textOf = (message: SimMessage) => ((message.content as Record<string, any>).markdown?.text ?? '') as string;

it('a reply that fails mid-answer is redelivered by the host and still answered exactly once', async () => {
  crash.armed = true;
  const body = stack.http.driver.robotMessage({ conversationType: 'private', text: 'please survive /tool', senderStaffId: 'user-redelivery', msgId: `msg-${randomUUID()}` });
  expect((await stack.http.driver.postRobotMessage(stack.http.webhookUrl, body)).status).toBe(200);
  await waitFor(() => stack.simulator.messages().some((message) => textOf(message).includes('This is turn 1')), 'the answer', 20000);
  await stack.host.handoffQueue!.idle();

  expect(crash.crashed).toBe(1);
  const history = stack.host.handoffQueue!.history().filter((entry) => entry.type !== 'agent.chat_dispatch.v1');
  const retried = history.find((entry) => entry.outcome === 'retry')!;
  expect(retried).toBeDefined();
  expect(history).toContainEqual(expect.objectContaining({ id: retried.id, attempt: retried.attempt + 1, outcome: 'ok' }));
  expect(stack.host.handoffQueue!.dead()).toEqual([]);
  // Each part of the answer once: the segment sent before the crash was not sent again.
  const answer = stack.simulator.messages().map(textOf).join('');
  expect(answer.split('You said:** please survive /tool')).toHaveLength(2);
  expect(answer.split('This is turn 1')).toHaveLength(2);
  // One message: the tool starts inside the answer's opening `**…**`, not a markdown-safe point.
  expect(stack.simulator.messages()).toHaveLength(1);
});
