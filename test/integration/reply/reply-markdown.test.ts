import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DingTalkClient } from '../../../src/dingtalk/client';
import { OutboxRepository } from '../../../src/persistence/outbox.repository';
import { answer, deltas, INTEGRATION, longAnswer, openReplyWorld, SEND_PATHS, textOf, type ReplyWorld } from './reply-harness';

// Markdown replies (no card template): route choice (sessionWebhook vs OpenAPI, P19), long answers
// split but complete, segments at tool starts, and idempotent retries (P15). Real HTTP to the
// simulator, real database.

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

describe('route: sessionWebhook first, OpenAPI otherwise', () => {
  it('answers a private chat through its sessionWebhook, recorded against that session', async () => {
    const target = world.target('private');
    await answer(world.service(), target, 'job-p1', deltas('Hello **Li Lei**, here is the answer.'));
    const [message] = world.sim.messages();
    expect(world.sim.messages()).toHaveLength(1);
    expect(message).toMatchObject({ kind: 'webhook', msgKey: 'markdown', target: { type: 'user', id: 'staff001' } });
    expect(textOf(message)).toBe('Hello **Li Lei**, here is the answer.');
    expect(world.sim.calls({ path: SEND_PATHS }).map((c) => c.path)).toEqual(['/robot/sendBySession']);
  });

  it('answers a group through its sessionWebhook and @-mentions the asker on the first message', async () => {
    const target = world.target('group');
    await answer(world.service(), target, 'job-g1', deltas('Group answer.'));
    const [message] = world.sim.messages();
    expect(message).toMatchObject({ kind: 'webhook', target: { type: 'group', id: target.conversationId } });
    const body = message.content as { markdown: { text: string }; at: { atUserIds: string[] } };
    expect(body.at.atUserIds).toEqual(['staff001']);
    expect(body.markdown.text).toBe('Group answer.\n\n@staff001');
  });

  it('uses the OpenAPI when the webhook is about to expire by our clock (never calling it)', async () => {
    const target = world.target('private');
    world.clock.set(target.sessionWebhookExpiresAt! - 30_000); // inside the 60 s safety margin
    await answer(world.service(), target, 'job-p2', deltas('Late answer.'));
    expect(world.sim.calls({ path: '/robot/sendBySession' })).toHaveLength(0);
    const [message] = world.sim.messages();
    expect(message).toMatchObject({ kind: 'robot', msgKey: 'sampleMarkdown', target: { type: 'user', id: 'staff001' } });
    const row = await new OutboxRepository(world.database.db).findByKey('job-p2:seg:0');
    expect(row).toMatchObject({ status: 'sent', targetType: 'user', targetId: 'staff001' });
    expect(row?.processQueryKey).toBe(message.processQueryKey); // what recall will need
  });

  it('falls back to the OpenAPI when DingTalk says session.expired, and stops trying the webhook', async () => {
    const target = world.target('group');
    world.sim.advanceTime(91 * 60 * 1000); // DingTalk's clock: expired; ours: still valid
    const text = `${'First part of a long answer. '.repeat(20)}\n\n${'Second part. '.repeat(20)}`;
    await answer(world.service({ markdownChunkBytes: 400 }), target, 'job-g2', deltas(text));
    const webhookCalls = world.sim.calls({ path: '/robot/sendBySession' });
    expect(webhookCalls).toHaveLength(1);
    expect(webhookCalls[0].errorCode).toBe('300001');
    const messages = world.sim.messages();
    expect(messages.length).toBeGreaterThan(1);
    expect(messages.every((m) => m.kind === 'robot' && m.target.id === target.conversationId)).toBe(true);
    expect(messages.map(textOf).join('')).toBe(text);
  });

  describe('P19: a sessionWebhook on another host', () => {
    let other: Server;
    let otherUrl: string;
    const received: IncomingMessage[] = [];

    beforeAll(async () => {
      other = createServer((req, res) => {
        received.push(req);
        res.end('{"errcode":0}');
      });
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
      otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    });

    it.each(['private', 'group'] as const)('is never called; the %s reply goes through the OpenAPI', async (kind) => {
      const target = world.target(kind, { sessionWebhook: `${otherUrl}/robot/sendBySession?session=abc` });
      const service = world.service();
      await answer(service, target, `job-foreign-${kind}`, deltas('Answer.'), { status: 'error', error: 'boom' });
      await service.notice(target, `notice-foreign-${kind}`, 'A notice.');
      expect(received).toHaveLength(0);
      const messages = world.sim.messages();
      expect(messages.map((m) => m.kind)).toEqual(['robot', 'robot', 'robot']);
      expect(messages.map(textOf)).toEqual(['Answer.', 'Sorry, the expert could not answer this time. Please try again in a moment.', 'A notice.']);
    });
  });
});

describe('long answers and segments', () => {
  it('delivers a 20 000-character answer complete, split, in order', async () => {
    const text = longAnswer(20_000);
    const target = world.target('group', { sessionWebhookExpiresAt: Date.now() - 1 }); // OpenAPI: checks the 15 000-byte msgParam limit
    await answer(world.service(), target, 'job-long', deltas(text, 53));
    const messages = world.sim.messages();
    expect(messages.length).toBeGreaterThan(3);
    expect(messages.every((m) => m.kind === 'robot' && m.msgKey === 'sampleMarkdown')).toBe(true);
    expect(messages.map(textOf).join('')).toBe(text);
    expect(world.sim.calls({ path: SEND_PATHS }).every((c) => c.status === 200)).toBe(true);
  });

  it('sends the text so far when a tool starts, before the tool runs', async () => {
    const target = world.target('private');
    const session = await world.service().open(target, 'job-tool');
    await session.onEvent({ type: 'conversation', conversationId: 'conv-1' });
    for (const e of deltas('Let me look that up for you.')) await session.onEvent(e);
    expect(world.sim.messages()).toHaveLength(0); // no timer-driven cut mid-sentence
    await session.onEvent({ type: 'tool_start', id: 't1', name: 'search', title: 'Search the web' });
    expect(world.sim.messages().map(textOf)).toEqual(['Let me look that up for you.']);
    await session.onEvent({ type: 'tool_end', id: 't1', status: 'success' });
    for (const e of deltas(' Found it: 42.')) await session.onEvent(e);
    await session.onEvent({ type: 'end', status: 'idle' });
    await session.finish({ text: 'Let me look that up for you. Found it: 42.', status: 'idle' }, {});
    expect(world.sim.messages().map(textOf)).toEqual(['Let me look that up for you.', ' Found it: 42.']);
  });

  it('sends nothing but the End link for an empty answer', async () => {
    const target = world.target('private');
    await answer(world.service(), target, 'job-empty', [], {}, { endUrl: 'https://xpert.example.com/end?s=1' });
    const messages = world.sim.messages();
    expect(messages).toHaveLength(1);
    expect(textOf(messages[0])).toBe('Reply here to ask a follow-up, or end the conversation. [End conversation](https://xpert.example.com/end?s=1)');
  });

  it("`/tool`'s answer cut at its tool call inside **…** stays one well-formed message", async () => {
    const target = world.target('private');
    const events = [...deltas('**You said:*'), { type: 'tool_start', id: 't', name: 'demo_search' } as const, { type: 'tool_end', id: 't', status: 'success' } as const, ...deltas('* /tool')];
    await answer(world.service(), target, 'job-bold', events, {}, { endUrl: 'https://xpert.example.com/end?s=2' });
    const messages = world.sim.messages();
    expect(messages).toHaveLength(1);
    expect(textOf(messages[0])).toBe('**You said:** /tool\n\n---\nReply here to ask a follow-up, or end the conversation. [End conversation](https://xpert.example.com/end?s=2)');
  });

  it('takes the tail from the result when fewer deltas were fed', async () => {
    const target = world.target('private');
    const session = await world.service().open(target, 'job-tail');
    await session.onEvent({ type: 'text', delta: 'Start, ' });
    await session.finish({ text: 'Start, and the rest.', status: 'idle' }, {});
    expect(world.sim.messages().map(textOf)).toEqual(['Start, and the rest.']);
  });
});

describe('P15: retries never post twice', () => {
  const text = longAnswer(9_000);

  it('sends every segment exactly once when the same answer runs twice with the same key', async () => {
    const target = world.target('private');
    const events = [...deltas(text.slice(0, 3000)), { type: 'tool_start', id: 't', name: 'calc' } as const, ...deltas(text.slice(3000))];
    await answer(world.service({ markdownChunkBytes: 1000 }), target, 'job-twice', events, {}, { endUrl: 'https://x.example.com/end' });
    const first = world.sim.messages().length;
    const firstCalls = world.sim.calls({ path: SEND_PATHS }).length;
    await answer(world.service({ markdownChunkBytes: 1000 }), target, 'job-twice', events, {}, { endUrl: 'https://x.example.com/end' });
    expect(world.sim.messages()).toHaveLength(first);
    expect(world.sim.calls({ path: SEND_PATHS })).toHaveLength(firstCalls);
    const all = world.sim.messages().map(textOf).join('');
    expect(all.startsWith(text.trimEnd())).toBe(true);
    expect(all.endsWith('[End conversation](https://x.example.com/end)')).toBe(true);
  });

  it('a job killed after segment 2 resumes without resending segments 1–2', async () => {
    const target = world.target('group', { sessionWebhookExpiresAt: 0 });
    const killed = killAfter(world.client(), 2);
    const service = world.service({ markdownChunkBytes: 1000, client: () => killed });
    await expect(answer(service, target, 'job-killed', deltas(text))).rejects.toThrow('job killed');
    expect(world.sim.messages()).toHaveLength(2);

    world.sim.clearCalls();
    await answer(world.service({ markdownChunkBytes: 1000 }), target, 'job-killed', deltas(text));
    const messages = world.sim.messages();
    expect(messages.map(textOf).join('')).toBe(text);
    expect(world.sim.calls({ path: SEND_PATHS })).toHaveLength(messages.length - 2);
    const rows = await world.database.db.query<{ idempotency_key: string; status: string }>(
      `SELECT idempotency_key, status FROM plugin_dingtalk_outbox WHERE integration_id = $1`,
      [INTEGRATION],
    );
    expect(rows.map((r) => r.status)).toEqual(Array(messages.length).fill('sent'));
    expect(rows.map((r) => r.idempotency_key).sort()).toEqual(messages.map((_, n) => `job-killed:seg:${n}`).sort());
  });

  it('notice is idempotent by key', async () => {
    const target = world.target('private');
    const service = world.service();
    await service.notice(target, 'notice-1', 'Not connected yet.', { endUrl: 'https://x.example.com/end' });
    await service.notice(target, 'notice-1', 'Not connected yet.', { endUrl: 'https://x.example.com/end' });
    expect(world.sim.messages()).toHaveLength(1);
    expect(world.sim.messages()[0].content).toMatchObject({ msgtype: 'actionCard', actionCard: { text: 'Not connected yet.', singleTitle: 'End conversation' } });
  });
});

/** The client, except that every send after the first `n` throws as if the process died. */
function killAfter(client: DingTalkClient, n: number): DingTalkClient {
  let sends = 0;
  const guarded = new Set(['sendToUsers', 'sendToGroup', 'postToSessionWebhook']);
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (!guarded.has(String(prop))) return value.bind(target);
      return async (...args: unknown[]) => {
        sends += 1;
        if (sends > n) throw new Error('job killed');
        return value.apply(target, args);
      };
    },
  });
}
