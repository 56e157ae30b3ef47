import type { ConversationDeps } from '../../../src/conversation/conversation.deps';
import { DispatchReply } from '../../../src/dispatch/dispatch-reply';
import { DINGTALK_CHAT_CALLBACK_MESSAGE_TYPE, type HandoffMessage, type ProcessResult } from '../../../src/host/handoff.contract';
import { t } from '../../../src/i18n';
import { ConversationBindingRepository, DispatchRunRepository, OutboxRepository } from '../../../src/persistence';
import { ConversationStateRepository } from '../../../src/persistence/conversation-state.repository';
import type { ReplyPort } from '../../../src/reply';
import type { ReplyTarget } from '../../../src/kernel/run-context';
import { usingServer } from '../../support/database';
import { APP, INTEGRATION, openReplyWorld, textOf, type ReplyWorld } from '../reply/reply-harness';

// The dispatch processor driven directly with the envelopes a host would send, on a real database
// and the real reply path into the DingTalk simulator: duplicates, any arrival order and a crash in
// the middle must still give exactly one answer, in order.

const RUN = 'evt-dispatch-1';
const SESSION = `${INTEGRATION}:cid-dispatch:staff001`;
const THREAD = 'thread-dispatch-1';
const CONVERSATION = 'conv-host-1';
const TEMPLATE = 'tpl-envelopes.schema';
const PARTS = ['Hello, ', 'this answer ', 'arrives in ', 'numbered envelopes', ' and ends here.'];
const ANSWER = PARTS.join('');

let world: ReplyWorld;
beforeAll(async () => {
  world = await openReplyWorld();
});
afterAll(async () => {
  await world?.close();
});
beforeEach(async () => {
  await world.reset();
});

const text = (delta: string) => ({ data: { type: 'message', data: { type: 'text', text: delta, id: 'chatcmpl-1' } } });
const event = (name: string, data: Record<string, unknown>) => ({ data: { type: 'event', event: name, data } });
const tool = (status: 'running' | 'success') => ({ data: { type: 'message', data: { id: 'call-1', type: 'component', data: status === 'running' ? { category: 'Tool', tool: 'search', title: 'Searching', status } : { status } } } });

/** The chat events of one run as the host streams them, with a tool call after the second delta. */
function chatEvents(end: Record<string, unknown> = { status: 'idle' }): unknown[] {
  return [
    event('on_conversation_start', { id: CONVERSATION, status: 'busy' }),
    event('on_message_start', { id: 'm-1', conversationId: CONVERSATION, status: 'thinking' }),
    text(PARTS[0]),
    text(PARTS[1]),
    tool('running'),
    tool('success'),
    text(PARTS[2]),
    text(PARTS[3]),
    text(PARTS[4]),
    event('on_conversation_end', { id: CONVERSATION, operation: null, error: null, ...end }),
  ];
}

function envelope(sequence: number, payload: Record<string, unknown>, attempt = 1): HandoffMessage {
  return {
    id: `dingtalk:${RUN}:callback:${sequence}`,
    type: DINGTALK_CHAT_CALLBACK_MESSAGE_TYPE,
    version: 1,
    tenantId: 'tenant-1',
    sessionKey: `dingtalk:${SESSION}`,
    businessKey: RUN,
    attempt,
    maxAttempts: 3,
    enqueuedAt: 0,
    traceId: RUN,
    parentMessageId: `dingtalk:${RUN}`,
    payload: { sourceMessageId: `dingtalk:${RUN}`, sequence, context: { runId: RUN, sessionKey: SESSION, integrationId: INTEGRATION, jobKey: RUN }, ...payload },
  };
}

/** Every envelope of a run: the stream, then `complete`. */
function envelopes(events = chatEvents()): HandoffMessage[] {
  return [...events.map((e, i) => envelope(i + 1, { kind: 'stream', event: e })), envelope(events.length + 1, { kind: 'complete' })];
}

function deps(reply: ReplyPort): ConversationDeps {
  return {
    database: { open: async () => world.database.db },
    integrations: { resolve: async (id) => ({ id, tenantId: 'tenant-1', organizationId: 'org-1', provider: 'dingtalk', options: { ...APP, mode: 'stream', preferredLanguage: 'en' } as never }) },
    reply,
    runners: { select: () => { throw new Error('no runner in this test'); } },
    now: world.clock.now,
    publicBaseUrl: 'https://xpert.example.com',
  };
}

async function beginRun(target: ReplyTarget, extra: { decision?: 'confirm' | 'reject'; answersInterruptId?: string } = {}): Promise<void> {
  await new ConversationBindingRepository(world.database.db).start(SESSION, { integrationId: INTEGRATION, conversationId: target.conversationId, senderId: 'staff001', xpertId: 'xpert-1', threadId: THREAD });
  await new ConversationStateRepository(world.database.db).setReplyTarget(SESSION, target);
  const { created } = await new DispatchRunRepository(world.database.db).begin({ runId: RUN, sessionKey: SESSION, integrationId: INTEGRATION, xpertId: 'xpert-1', threadId: THREAD, replyTarget: target, ...extra });
  expect(created).toBe(true);
}

async function deliver(processor: DispatchReply, messages: HandoffMessage[]): Promise<ProcessResult[]> {
  const results: ProcessResult[] = [];
  for (const message of messages) results.push(await processor.process(message));
  return results;
}

/** The answer's markdown segments as the user sees them (without the End link the last one ends with). */
function answerText(): string {
  const all = world.sim.messages().map(textOf).join('');
  const footer = all.lastIndexOf('\n\n---\nReply here to ask a follow-up');
  return footer >= 0 ? all.slice(0, footer) : all;
}

async function runRow() {
  return (await new DispatchRunRepository(world.database.db).get(RUN))!;
}

it('applies redelivered and out-of-order envelopes exactly once, in sequence order', async () => {
  const target = world.target('private');
  await beginRun(target);
  const all = envelopes();
  // Everything arrives twice, the second half before the first, and the first half reversed.
  const half = Math.floor(all.length / 2);
  const order = [...all.slice(half), ...all.slice(0, half).reverse(), ...all, all[3]];
  const results = await deliver(new DispatchReply(deps(world.service())), order);

  expect(results.every((result) => result.status === 'ok')).toBe(true);
  expect(answerText()).toBe(ANSWER);
  // Two segments (at the tool start, at the end, with the End link in it); nothing twice.
  const keys = (await world.database.db.query<{ idempotency_key: string }>(`SELECT idempotency_key FROM plugin_dingtalk_outbox WHERE status = 'sent' ORDER BY idempotency_key`)).map((row) => row.idempotency_key);
  expect(keys).toEqual([`${RUN}:seg:0`, `${RUN}:seg:1`, `run:${RUN}`]);
  expect(world.sim.messages()).toHaveLength(2);
  const run = await runRow();
  expect(run).toMatchObject({ status: 'completed', nextSequence: all.length + 1, buffered: {} });
  expect((await new OutboxRepository(world.database.db).findByKey(`run:${RUN}`))?.result).toMatchObject({ status: 'idle', text: ANSWER, conversationId: CONVERSATION });
  expect((await new ConversationBindingRepository(world.database.db).get(SESSION))?.xpertConversationId).toBe(CONVERSATION);
});

it('keeps an early envelope waiting in the database, so another processor (a restart) continues the same answer', async () => {
  const target = world.target('private');
  await beginRun(target);
  const all = envelopes();
  await deliver(new DispatchReply(deps(world.service())), [all[0], all[1], all[2], all[5]]);
  expect((await runRow()).nextSequence).toBe(4);
  expect(Object.keys((await runRow()).buffered)).toEqual(['6']);

  // A new process: no reply in memory, everything it needs comes from the run row.
  const results = await deliver(new DispatchReply(deps(world.service())), [all[4], all[3], ...all.slice(6)]);
  expect(results.every((result) => result.status === 'ok')).toBe(true);
  expect(answerText()).toBe(ANSWER);
  expect(world.sim.messages()).toHaveLength(2);
});

it('survives a crash mid-run: the failed envelope is redelivered and the answer still goes out once', async () => {
  const target = world.target('private');
  await beginRun(target);
  const all = envelopes();
  const real = world.service();
  let crashAt = 7; // the 7th event handed to the reply (the third delta, after the first segment went out)
  let seen = 0;
  const crashing: ReplyPort = {
    notice: (...args) => real.notice(...args),
    open: async (...args) => {
      const session = await real.open(...args);
      return {
        finish: (...f) => session.finish(...f),
        onEvent: async (e) => {
          seen += 1;
          if (seen === crashAt) throw new Error('process died (test)');
          return session.onEvent(e);
        },
      };
    },
  };
  const processor = new DispatchReply(deps(crashing), { retryDelayMs: 5 });
  const first = await deliver(processor, all);
  const failed = first.findIndex((result) => result.status === 'retry');
  expect(failed).toBeGreaterThan(0);
  expect(first[failed]).toMatchObject({ status: 'retry', delayMs: 5 });
  crashAt = -1;
  // The host redelivers the failed envelope; the later ones waited in the row meanwhile.
  const redelivered = await deliver(processor, [envelope(failed + 1, all[failed].payload, 2)]);
  expect(redelivered).toEqual([{ status: 'ok' }]);

  expect(answerText()).toBe(ANSWER);
  expect(world.sim.messages()).toHaveLength(2);
  expect((await runRow()).status).toBe('completed');
});

// Two replicas get every envelope (one in order, one reversed) at the same time: the run's lease and
// version let one of them send at a time, and what the other retries is already sent.
(usingServer ? it : it.skip)('answers once when two replicas race over the same envelopes (PostgreSQL server)', async () => {
  const target = world.target('private');
  await beginRun(target);
  const all = envelopes();
  const drive = async (processor: DispatchReply, order: HandoffMessage[]) => {
    for (const message of order) {
      // The host redelivers a `retry`; here at once, until the envelope is taken.
      for (let attempt = 1; attempt <= 1000 && (await processor.process(message)).status === 'retry'; attempt++);
    }
  };
  await Promise.all([drive(new DispatchReply(deps(world.service())), all), drive(new DispatchReply(deps(world.service())), [...all].reverse())]);
  expect(answerText()).toBe(ANSWER);
  expect(world.sim.messages()).toHaveLength(2);
  expect((await runRow()).status).toBe('completed');
});

it('streams into one AI card when a card template is set, whatever the arrival order', async () => {
  const target = world.target('group');
  await beginRun(target);
  const all = envelopes();
  const reversed = [...all].reverse();
  const results = await deliver(new DispatchReply(deps(world.service({ cardTemplateId: () => TEMPLATE, cardCallbackType: () => 'STREAM' }))), [...reversed, ...all]);
  expect(results.every((result) => result.status === 'ok')).toBe(true);
  const cards = world.sim.messages().filter((message) => message.kind === 'card');
  expect(cards).toHaveLength(1);
  expect(textOf(cards[0])).toContain(ANSWER);
  expect((cards[0].content as { stream: { finalized: boolean; error: boolean } }).stream).toMatchObject({ finalized: true, error: false });
});

it('answers an error envelope with the localized apology', async () => {
  const target = world.target('private');
  await beginRun(target);
  const events = chatEvents().slice(0, 4);
  const results = await deliver(new DispatchReply(deps(world.service())), [
    ...events.map((e, i) => envelope(i + 1, { kind: 'stream', event: e })),
    envelope(events.length + 1, { kind: 'error', error: 'model quota exhausted' }),
  ]);
  expect(results.every((result) => result.status === 'ok')).toBe(true);
  const texts = world.sim.messages().map(textOf);
  expect(texts.some((line) => line.includes(t('en', 'reply.expertError')))).toBe(true);
  expect((await new OutboxRepository(world.database.db).findByKey(`run:${RUN}`))?.result).toMatchObject({ status: 'error', error: 'model quota exhausted' });
});

it('ends the answer on the error envelope the host numbers 1 after it already streamed', async () => {
  const target = world.target('private');
  await beginRun(target);
  const events = chatEvents().slice(0, 4);
  const results = await deliver(new DispatchReply(deps(world.service())), [
    ...events.map((e, i) => envelope(i + 1, { kind: 'stream', event: e })),
    envelope(1, { kind: 'error', error: 'callback enqueue failed' }),
  ]);
  expect(results.every((result) => result.status === 'ok')).toBe(true);
  expect(world.sim.messages().map(textOf)).toContain(t('en', 'reply.expertError'));
  expect((await runRow()).status).toBe('completed');
});

it('turns an interrupt into a pending confirmation with Confirm / Reject links', async () => {
  const target = world.target('private');
  await beginRun(target);
  const operation = { tasks: [{ id: 'task-1', name: 'send_report', interrupts: [{ id: 'i-1', value: { actionRequests: [{ name: 'send_report', args: { to: 'team' } }] } }] }] };
  const events = [...chatEvents().slice(0, 4), event('on_interrupt', operation), event('on_conversation_end', { id: CONVERSATION, status: 'interrupted', operation })];
  const results = await deliver(new DispatchReply(deps(world.service())), envelopes(events));
  expect(results.every((result) => result.status === 'ok')).toBe(true);
  const pending = (await new ConversationStateRepository(world.database.db).get(SESSION))?.pendingInterrupt;
  expect(pending).toMatchObject({ id: RUN, xpertId: 'xpert-1', threadId: THREAD, operation });
  const prompt = world.sim.messages().find((message) => textOf(message).includes(t('en', 'reply.needsConfirmation')));
  expect(textOf(prompt!)).toContain('send_report');
  const buttons = JSON.stringify(prompt!.content);
  expect(buttons).toContain(t('en', 'reply.confirm'));
  expect(buttons).toContain(t('en', 'reply.reject'));
  expect(buttons).toContain('https://xpert.example.com');
});

it('dead-letters an envelope that is not a DingTalk dispatch or names an unknown run', async () => {
  const processor = new DispatchReply(deps(world.service()));
  const foreign = envelope(1, { kind: 'stream', event: text('x') });
  foreign.payload = { ...foreign.payload, context: {} };
  expect(await processor.process(foreign)).toMatchObject({ status: 'dead' });
  expect(await processor.process(envelope(1, { kind: 'stream', event: text('x') }))).toMatchObject({ status: 'dead', reason: expect.stringContaining(RUN) });
  expect(world.sim.messages()).toHaveLength(0);
});
