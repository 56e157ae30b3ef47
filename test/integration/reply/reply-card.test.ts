import { DingTalkClient } from '../../../src/dingtalk/client';
import type { ExpertStreamEvent } from '../../../src/runner/expert-runner.port';
import type { ReplyService, ReplySession } from '../../../src/reply';
import type { ReplyTarget } from '../../../src/kernel/run-context';
import { outTrackIdFor } from '../../../src/reply';
import type { SimMessage } from '../../../sandbox/simulator';
import { APP, deltas, longAnswer, openReplyWorld, textOf, type ReplyWorld } from './reply-harness';

// Card mode (a card template is configured): one AI card per answer, streamed in place, paced by
// the injected clock, degraded on throttling without losing text, finalized, and never created
// twice for one key. Real HTTP to the simulator, real database.

const TEMPLATE = 'tpl.answer.v1';
const CREATE = '/v1.0/card/instances/createAndDeliver';
const STREAM = '/v1.0/card/streaming';

let world: ReplyWorld;

beforeAll(async () => {
  world = await openReplyWorld();
});
afterAll(async () => {
  await world.close();
});
beforeEach(async () => {
  await world.reset();
});

function cardService(extra: Parameters<ReplyWorld['service']>[0] = {}): ReplyService {
  return world.service({ cardTemplateId: () => TEMPLATE, cardCallbackType: () => 'STREAM', streamIntervalMs: 800, ...extra });
}

/** Feeds events, moving the fake clock `stepMs` before each one. */
async function feed(session: ReplySession, events: ExpertStreamEvent[], stepMs: number): Promise<void> {
  for (const event of events) {
    world.clock.advance(stepMs);
    await session.onEvent(event);
  }
}

async function run(service: ReplyService, target: ReplyTarget, key: string, text: string, stepMs = 1000): Promise<void> {
  const session = await service.open(target, key);
  await feed(session, deltas(text, Math.ceil(text.length / 6)), stepMs);
  await session.finish({ text, status: 'idle' }, {});
}

/** Waits until the simulator answered every call it received (injected latency outlives client timeouts). */
async function allAnswered(): Promise<void> {
  for (let i = 0; i < 200 && world.sim.calls().some((c) => c.status === undefined); i++) await new Promise((r) => setTimeout(r, 20));
}

function cards(): SimMessage[] {
  return world.sim.messages().filter((m) => m.kind === 'card');
}

function streamed(card: SimMessage): SimMessage['history'] {
  return card.history.filter((h) => h.event === 'streamed');
}

const TEXT = 'The answer has six parts. One, two, three. Four, five, six. That is all there is to it.';

it('creates one card in a group, streams several updates, and finalizes it with the full text', async () => {
  const target = world.target('group');
  await run(cardService(), target, 'card-1', TEXT);
  const [card] = cards();
  expect(cards()).toHaveLength(1);
  expect(world.sim.messages()).toHaveLength(1); // no markdown besides the card
  expect(card).toMatchObject({ outTrackId: outTrackIdFor('card-1'), msgKey: TEMPLATE, target: { type: 'group', id: target.conversationId } });
  expect(streamed(card)).toHaveLength(6); // 6 deltas 1 s apart: created with the 1st, 5 interim updates, the final
  expect(textOf(card)).toBe(TEXT);
  expect((card.content as { stream: { finalized: boolean; error: boolean } }).stream).toMatchObject({ finalized: true, error: false });

  const create = world.sim.calls({ path: CREATE })[0].body as Record<string, any>;
  expect(create).toMatchObject({
    cardTemplateId: TEMPLATE,
    openSpaceId: `dtv1.card//IM_GROUP.${target.conversationId}`,
    imGroupOpenDeliverModel: { robotCode: APP.clientId },
    callbackType: 'STREAM',
  });
  expect(typeof create.cardData.cardParamMap.content).toBe('string');
  const updates = world.sim.calls({ path: STREAM }).map((c) => c.body as Record<string, unknown>);
  expect(updates.every((u) => u.isFull === true && u.key === 'content')).toBe(true);
  expect(updates.map((u) => u.isFinalize)).toEqual([...Array(updates.length - 1).fill(false), true]);
});

it('delivers a private-chat card to the asker’s robot space', async () => {
  const target = world.target('private');
  await run(cardService({ cardCallbackType: () => 'HTTP' }), target, 'card-p', TEXT);
  expect(cards()).toHaveLength(1);
  expect(cards()[0].target).toEqual({ type: 'user', id: 'staff001' });
  expect(world.sim.calls({ path: CREATE })[0].body).toMatchObject({
    openSpaceId: 'dtv1.card//IM_ROBOT.staff001',
    imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT' },
    callbackType: 'HTTP',
  });
});

it('updates no more often than the interval, and only when the text changed', async () => {
  const target = world.target('group');
  const session = await cardService().open(target, 'card-pace');
  const events = deltas('x'.repeat(200), 10); // 20 deltas, 100 ms apart: 2 s in all
  await feed(session, events, 100);
  await feed(session, [{ type: 'text', delta: '' }, { type: 'conversation', conversationId: 'c' }], 1000); // no change
  expect(streamed(cards()[0])).toHaveLength(2); // at +800 ms and +1600 ms after creation
  await session.finish({ text: 'x'.repeat(200), status: 'idle' }, {});
  expect(textOf(cards()[0])).toBe('x'.repeat(200));
});

it('degrades to fewer updates when DingTalk throttles, and the final text is still complete', async () => {
  const target = world.target('group');
  const session = await cardService().open(target, 'card-throttle');
  const events = deltas(longAnswer(900), 100); // 9 deltas, 1 s apart
  await feed(session, events.slice(0, 2), 1000); // create + one update
  world.sim.faults.set({ throttle: { path: STREAM, times: 4 } }); // outlasts the client's 3 retries
  await feed(session, events.slice(2), 1000);
  await session.finish({ text: longAnswer(900), status: 'idle' }, {});

  const calls = world.sim.calls({ path: STREAM });
  expect(calls.filter((c) => c.status === 403)).toHaveLength(4);
  const [card] = cards();
  // Before: one update per delta. After the throttle the interval doubled (1.6 s): every other delta.
  const interimAfterThrottle = streamed(card).length - 1 /* before */ - 1; /* final */
  expect(interimAfterThrottle).toBe(3);
  expect(events.length - 3).toBeGreaterThan(interimAfterThrottle);
  expect(textOf(card)).toBe(longAnswer(900));
  expect((card.content as { stream: { finalized: boolean } }).stream.finalized).toBe(true);
});

it('retries the final update when it is throttled, so the complete text lands', async () => {
  const target = world.target('group');
  const session = await cardService().open(target, 'card-final-throttle');
  await feed(session, deltas(TEXT, 30), 1000);
  world.sim.faults.set({ throttle: { path: STREAM, times: 5 } }); // the client's 4 attempts, then 1 more
  await session.finish({ text: TEXT, status: 'idle' }, {});
  expect(world.clock.sleeps).toEqual([1600]); // our own pause before the second attempt, interval doubled
  expect(textOf(cards()[0])).toBe(TEXT);
  expect((cards()[0].content as { stream: { finalized: boolean } }).stream.finalized).toBe(true);
});

it('after repeated refusal of the final update for rate, the answer goes out as markdown and the card is left to the sweep', async () => {
  const target = world.target('private');
  const session = await cardService({ cardFinalizeAttempts: 2 }).open(target, 'card-final-refused');
  await feed(session, deltas(TEXT, 30), 1000);
  world.sim.faults.set({ throttle: { path: STREAM, times: 1000 } });
  await session.finish({ text: TEXT, status: 'idle' }, {});
  const markdown = world.sim.messages().filter((m) => m.kind !== 'card');
  expect(markdown.map(textOf).join('')).toBe(TEXT);
  expect((cards()[0].content as { stream?: { finalized: boolean } }).stream?.finalized ?? false).toBe(false);
  // No owner any more: the abandoned-card sweep finalizes it once DingTalk lets it.
  const [row] = await world.database.db.query(`SELECT card_stream, stream_owner FROM plugin_dingtalk_outbox WHERE idempotency_key = 'card-final-refused:card'`);
  expect(row).toEqual({ card_stream: 'streaming', stream_owner: null });
});

it('shows a status line while a tool runs (waiting out the interval), and drops it at the end', async () => {
  const target = world.target('group');
  const session = await cardService().open(target, 'card-tool');
  await feed(session, [{ type: 'text', delta: 'Let me check.' }], 0);
  await feed(session, [{ type: 'tool_start', id: 't1', name: 'search', title: 'Web search' }], 100);
  expect(world.clock.sleeps).toEqual([700]);
  expect(textOf(cards()[0])).toBe('Let me check.\n\n> Using Web search…');
  await feed(session, [{ type: 'tool_end', id: 't1', status: 'success' }, { type: 'text', delta: ' Done.' }], 1000);
  await session.finish({ text: 'Let me check. Done.', status: 'idle' }, {});
  expect(textOf(cards()[0])).toBe('Let me check. Done.');
});

it('keeps a long answer’s card at the cap and sends the rest as markdown, losing nothing', async () => {
  const target = world.target('private');
  const text = longAnswer(3_000);
  await run(cardService({ cardMaxBytes: 800 }), target, 'card-long', text);
  const [card, ...rest] = world.sim.messages();
  expect(card.kind).toBe('card');
  const shown = textOf(card);
  expect(Buffer.byteLength(shown)).toBeLessThanOrEqual(800);
  expect(shown.endsWith('\n\n_(continued below)_')).toBe(true);
  expect(rest.length).toBeGreaterThan(0);
  expect(rest.every((m) => m.kind === 'webhook')).toBe(true);
  expect(shown.slice(0, -'\n\n_(continued below)_'.length) + rest.map(textOf).join('')).toBe(text);
});

describe('retries (P15)', () => {
  it('a retried run continues the same card instead of creating a second one', async () => {
    const target = world.target('group');
    await run(cardService(), target, 'card-retry', 'First attempt text.');
    await run(cardService(), target, 'card-retry', 'Second attempt, complete text.');
    expect(cards()).toHaveLength(1);
    expect(world.sim.calls({ path: CREATE })).toHaveLength(1);
    expect(textOf(cards()[0])).toBe('Second attempt, complete text.');
  });

  it('adopts the card when the earlier create landed but its answer was lost', async () => {
    const target = world.target('group');
    await run(cardService(), target, 'card-lost', 'First.');
    // The first attempt died before recording DingTalk's answer, longer ago than any send takes.
    await world.database.db.query(`UPDATE plugin_dingtalk_outbox SET status = 'pending', updated_at = now() - interval '10 minutes' WHERE idempotency_key = 'card-lost:card'`);
    await run(cardService(), target, 'card-lost', 'Second, complete.');
    expect(world.sim.calls({ path: CREATE }).map((c) => c.errorCode)).toEqual([undefined, 'param.cardAlreadyExist']);
    expect(cards()).toHaveLength(1);
    expect(textOf(cards()[0])).toBe('Second, complete.');
  });

  it('a create DingTalk performed but answered after the client timeout: the answer streams into that one card, no markdown', async () => {
    const target = world.target('group');
    // The card is created at once; its answer leaves long after this client stopped waiting.
    world.sim.faults.set({ lateAnswer: { path: CREATE, ms: 2000 } });
    const impatient = () => new DingTalkClient({ ...APP, apiBaseUrl: world.sim.baseUrl, oapiBaseUrl: world.sim.baseUrl, timeoutMs: 300, retryBaseMs: 1, retryMaxMs: 4, rateLimit: { perSecond: 0 } });
    await run(cardService({ client: impatient }), target, 'card-late', TEXT);
    expect(world.sim.calls({ path: CREATE }).map((c) => c.errorCode)).toEqual([undefined, 'param.cardAlreadyExist']);
    expect(cards()).toHaveLength(1);
    expect(world.sim.messages()).toHaveLength(1); // no markdown duplicate
    expect(textOf(cards()[0])).toBe(TEXT);
    expect((cards()[0].content as any).stream).toMatchObject({ finalized: true, error: false });
  });

  it('a create that timed out although DingTalk made the card: the retry streams the answer into that card, no markdown', async () => {
    const target = world.target('group');
    const impatient = () =>
      new DingTalkClient({ ...APP, apiBaseUrl: world.sim.baseUrl, oapiBaseUrl: world.sim.baseUrl, timeoutMs: 300, maxRetries: 1, retryBaseMs: 1, retryMaxMs: 4, rateLimit: { perSecond: 0 } });
    // DingTalk creates the card, but only answers after the client gave up (both attempts).
    world.sim.faults.set({ latencyMs: 700, latencyPath: CREATE });
    await expect(run(cardService({ client: impatient }), target, 'card-slow', 'The whole answer.')).rejects.toMatchObject({ code: 'dingtalk_timeout' });
    await allAnswered();
    expect(cards()).toHaveLength(1);
    world.sim.faults.clear();
    await run(cardService(), target, 'card-slow', 'The whole answer.');
    expect(world.sim.calls({ path: CREATE }).pop()?.errorCode).toBe('param.cardAlreadyExist');
    expect(world.sim.messages()).toHaveLength(1); // the one card, no markdown duplicate
    expect(textOf(cards()[0])).toBe('The whole answer.');
    expect((cards()[0].content as { stream: { finalized: boolean; error: boolean } }).stream).toMatchObject({ finalized: true, error: false });
  });

  it('answers in markdown when no card can be made, and a retry stays with markdown', async () => {
    const target = world.target('private');
    world.sim.faults.set({ missingScope: { path: CREATE, scope: 'Card.Instance.Write' } });
    await run(cardService(), target, 'card-denied', TEXT);
    expect(cards()).toHaveLength(0);
    expect(world.sim.messages().map(textOf).join('')).toBe(TEXT);
    world.sim.faults.clear();
    await run(cardService(), target, 'card-denied', TEXT);
    expect(world.sim.calls({ path: CREATE })).toHaveLength(1);
    expect(cards()).toHaveLength(0);
    expect(world.sim.messages().map(textOf).join('')).toBe(TEXT);
  });
});

describe('closing messages in card mode', () => {
  it('done: the card itself ends with the End conversation link; no second message is sent', async () => {
    const target = world.target('group');
    const session = await cardService().open(target, 'card-end');
    await feed(session, deltas(TEXT, 3), 1000);
    await session.finish({ text: TEXT, status: 'idle' }, { endUrl: 'https://x.example.com/end' });
    expect(world.sim.messages()).toHaveLength(1);
    expect(textOf(cards()[0])).toBe(`${TEXT}\n\n---\nReply here to ask a follow-up, or end the conversation. [End conversation](https://x.example.com/end)`);
  });

  it('done with an overflow: the link rides in the last markdown segment', async () => {
    const target = world.target('private');
    const text = longAnswer(3_000);
    const session = await cardService({ cardMaxBytes: 800 }).open(target, 'card-end-long');
    await feed(session, deltas(text, 10), 1000);
    await session.finish({ text, status: 'idle' }, { endUrl: 'https://x.example.com/end' });
    const all = world.sim.messages();
    expect(textOf(all[0])).not.toContain('x.example.com/end');
    expect(textOf(all[all.length - 1])).toMatch(/\n\n---\nReply here to ask a follow-up, or end the conversation\. \[End conversation\]\(https:\/\/x\.example\.com\/end\)$/);
    expect(all.every((m) => (m.content as { msgtype?: string }).msgtype !== 'actionCard')).toBe(true);
  });

  it('interrupt in a private chat: the card is finalized, then Confirm / Reject links follow', async () => {
    const target = world.target('private');
    const session = await cardService().open(target, 'card-int-p');
    await feed(session, [{ type: 'text', delta: 'I will send the email.' }], 1000);
    await session.finish(
      { text: 'I will send the email.', status: 'interrupted', interrupt: { operation: {}, prompt: 'send_email {"to":"a@b.c"}' } },
      { confirmUrl: 'https://x.example.com/c', rejectUrl: 'https://x.example.com/r' },
    );
    const [card, prompt] = world.sim.messages();
    expect(textOf(card)).toBe('I will send the email.');
    expect(JSON.stringify(prompt.content)).toContain('https://x.example.com/c');
    expect(JSON.stringify(prompt.content)).toContain('https://x.example.com/r');
  });

  it('interrupt in a group: Confirm / Reject go on the card’s buttons (a click names the clicker); the prompt carries no link', async () => {
    const target = world.target('group');
    const session = await cardService().open(target, 'card-int');
    await feed(session, [{ type: 'text', delta: 'I will send the email.' }], 1000);
    await session.onEvent({ type: 'interrupt', operation: { id: 'op' }, prompt: 'send_email {"to":"a@b.c"}' });
    await session.finish(
      { text: 'I will send the email.', status: 'interrupted', interrupt: { operation: {}, prompt: 'send_email {"to":"a@b.c"}' } },
      { confirmUrl: 'https://x.example.com/c', rejectUrl: 'https://x.example.com/r' },
    );
    const [card, prompt] = world.sim.messages();
    expect(textOf(card)).toBe('I will send the email.');
    expect((card.content as { cardParamMap: Record<string, string> }).cardParamMap).toMatchObject({
      confirmActionUrl: 'https://x.example.com/c',
      rejectActionUrl: 'https://x.example.com/r',
      confirmTitle: 'Confirm',
      rejectTitle: 'Reject',
    });
    expect(JSON.stringify(prompt.content)).toContain('send_email');
    expect(JSON.stringify(prompt.content)).not.toContain('x.example.com');
  });

  it('error: the card shows the error state and a localized apology follows', async () => {
    const target = world.target('group', { language: 'zh-Hans' });
    const session = await cardService().open(target, 'card-err');
    await feed(session, [{ type: 'text', delta: '部分回答' }], 1000);
    await session.finish({ text: '部分回答', status: 'error', error: 'idle timeout' }, { endUrl: 'https://x.example.com/e' });
    const [card, apology] = world.sim.messages();
    expect((card.content as { stream: { finalized: boolean; error: boolean } }).stream).toEqual(expect.objectContaining({ finalized: true, error: true }));
    expect(textOf(apology)).toContain('抱歉，专家这次没能回答，请稍后再试。');
  });
});
