import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFakeThreadsApi, FakeThreadsApi } from '../../../sandbox/fake-xpert/threads-api';
import { longAnswer } from '../../../sandbox/fake-xpert/demo-expert';
import { echoAnswer } from '../../../sandbox/fake-xpert/demo-model';
import { DingTalkError } from '../../../src/kernel/errors';
import type { ExpertRunInput, ExpertStreamEvent, RunnerLogger } from '../../../src/runner/expert-runner.port';
import { threadIdFor, XpertApiRunner, XpertApiRunnerOptions } from '../../../src/runner/xpert-api.runner';

const API_KEY = 'sk-x-integration-secret-key';
const XPERT = 'xpert-demo';

/** Serves the fake through `handle()` inside our own server, counting thread creations. */
async function mountFake(fake: FakeThreadsApi): Promise<{ baseUrl: string; server: Server; threadPosts: () => number }> {
  let threadPosts = 0;
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/api/ai/threads') threadPosts++;
    if (!fake.handle(req, res)) {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, server, threadPosts: () => threadPosts };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function collector() {
  const events: ExpertStreamEvent[] = [];
  return { events, onEvent: (e: ExpertStreamEvent) => void events.push(e) };
}

function capturingLogger(): RunnerLogger & { lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string, ...meta: unknown[]) => void lines.push(`${level} ${message} ${JSON.stringify(meta)}`);
  return { lines, debug: record('debug'), log: record('log'), warn: record('warn'), error: record('error') };
}

async function rejection(promise: Promise<unknown>): Promise<DingTalkError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DingTalkError);
    return error as DingTalkError;
  }
  throw new Error('expected the run to reject');
}

let sessionCounter = 0;
function freshInput(text: string, extra: Partial<ExpertRunInput> = {}): ExpertRunInput {
  const sessionKey = `int-1:conv-${++sessionCounter}:user-1`;
  return { xpertId: XPERT, sessionKey, threadId: threadIdFor(sessionKey, 1), text, ...extra };
}

describe('XpertApiRunner against the fake threads API (real HTTP)', () => {
  const fake = createFakeThreadsApi({ apiKey: API_KEY, experts: [XPERT] });
  const completeFake = createFakeThreadsApi({ apiKey: API_KEY, emitComplete: true });
  let mounted: Awaited<ReturnType<typeof mountFake>>;
  let completeBaseUrl: string;
  let logger: ReturnType<typeof capturingLogger>;
  let runner: XpertApiRunner;
  const makeRunner = (options: Partial<XpertApiRunnerOptions> = {}) =>
    new XpertApiRunner({ baseUrl: mounted.baseUrl, apiKey: API_KEY, logger, ...options });

  beforeAll(async () => {
    mounted = await mountFake(fake);
    completeBaseUrl = await completeFake.listen();
  });

  beforeEach(() => {
    logger = capturingLogger();
    runner = makeRunner();
  });

  afterAll(async () => {
    await closeServer(mounted.server);
    await fake.close();
    await completeFake.close();
  });

  it('streams text deltas in order, accumulates them and ignores the keep-alive', async () => {
    const { events, onEvent } = collector();
    const input = freshInput('Hello **world**');
    const result = await runner.run(input, onEvent);
    const expected = echoAnswer({ text: 'Hello **world**', turn: 1, history: [] });
    expect(result).toMatchObject({ status: 'idle', text: expected });
    expect(result.conversationId).toEqual(expect.any(String));
    expect(events[0]).toEqual({ type: 'conversation', conversationId: result.conversationId });
    expect(events.at(-1)).toEqual({ type: 'end', status: 'idle' });
    const middle = events.slice(1, -1);
    expect(middle.length).toBeGreaterThan(2);
    expect(middle.every((e) => e.type === 'text')).toBe(true);
    expect(middle.map((e) => (e.type === 'text' ? e.delta : '')).join('')).toBe(expected);
  });

  it('surfaces tool start and end in stream order', async () => {
    const { events, onEvent } = collector();
    await runner.run(freshInput('look it up /tool'), onEvent);
    const types = events.map((e) => e.type);
    const start = types.indexOf('tool_start');
    expect(start).toBeGreaterThan(types.indexOf('text'));
    expect(types[start + 1]).toBe('tool_end');
    expect(types.lastIndexOf('text')).toBeGreaterThan(start + 1);
    expect(events[start]).toMatchObject({ type: 'tool_start', name: 'demo_search', title: 'Searching the demo index' });
    expect(events[start + 1]).toEqual({ type: 'tool_end', id: (events[start] as { id: string }).id, status: 'success' });

    const failed = collector();
    await runner.run(freshInput('break it /tool-fail'), failed.onEvent);
    expect(failed.events.find((e) => e.type === 'tool_end')).toMatchObject({ status: 'fail' });
  });

  it('stops at an interrupt, then resumes with confirm', async () => {
    const input = freshInput('weekly numbers /confirm');
    const first = collector();
    const interrupted = await runner.run(input, first.onEvent);
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.interrupt?.prompt).toContain('send_report');
    expect(interrupted.interrupt?.prompt).toContain('weekly numbers');
    expect(first.events.map((e) => e.type).slice(-2)).toEqual(['interrupt', 'end']);

    const resumed = await runner.run(
      { ...input, text: '', resume: { decision: 'confirm', operation: interrupted.interrupt?.operation } },
      collector().onEvent,
    );
    expect(resumed).toMatchObject({ status: 'idle', text: 'Confirmed: weekly numbers' });
    const body = fake.runs().filter((r) => r.threadId === input.threadId).at(-1)?.body as { input: Record<string, unknown> };
    expect(body.input).toEqual({ input: { input: 'confirm' }, confirm: true, command: { resume: { decisions: [{ type: 'approve' }] } } });
  });

  it('resumes with reject and the reason', async () => {
    const input = freshInput('send it /confirm');
    expect((await runner.run(input, collector().onEvent)).status).toBe('interrupted');
    const rejected = await runner.run({ ...input, text: 'no', resume: { decision: 'reject', message: 'wrong team' } }, collector().onEvent);
    expect(rejected).toMatchObject({ status: 'idle', text: 'Rejected: wrong team' });
    expect(fake.threads().find((t) => t.threadId === input.threadId)?.interrupted).toBe(false);
  });

  it('reports an expert error and a plain-text Nest error as status error', async () => {
    const failed = collector();
    const result = await runner.run(freshInput('please /error'), failed.onEvent);
    expect(result).toMatchObject({ status: 'error', error: 'Demo expert failure' });
    expect(failed.events.at(-1)).toEqual({ type: 'end', status: 'error', error: 'Demo expert failure' });

    const crashed = await runner.run(freshInput('please /crash'), collector().onEvent);
    expect(crashed).toMatchObject({ status: 'error', error: 'Demo expert crashed', text: 'Starting…' });
  });

  it('rejects a bad API key with a coded error that names the fix but not the key', async () => {
    const bad = makeRunner({ apiKey: 'sk-x-wrong' });
    const error = await rejection(bad.run(freshInput('hi'), collector().onEvent));
    expect(error.code).toBe('dingtalk_expert_auth_failed');
    expect(error.details).toMatchObject({ status: 401 });
    expect(error.message).toContain('API key');
    expect(JSON.stringify(error.toJSON())).not.toContain('sk-x-wrong');
  });

  it('maps other non-2xx answers to dingtalk_expert_request_failed and forgets the thread', async () => {
    const input = freshInput('hi', { xpertId: 'no-such-xpert' });
    const error = await rejection(runner.run(input, collector().onEvent));
    expect(error.code).toBe('dingtalk_expert_request_failed');
    expect(error.details).toMatchObject({ status: 404, hostMessage: `Xpert no-such-xpert not found` });
    const before = mounted.threadPosts();
    await runner.run({ ...input, xpertId: XPERT }, collector().onEvent);
    expect(mounted.threadPosts()).toBe(before + 1);
  });

  it('keeps continuity on one thread id and creates the thread only once', async () => {
    const input = freshInput('first question');
    const before = mounted.threadPosts();
    await runner.run(input, collector().onEvent);
    const second = await runner.run({ ...input, text: 'second question' }, collector().onEvent);
    expect(second.text).toContain('turn 2');
    expect(second.text).toContain('Last time you said: first question');
    expect(mounted.threadPosts()).toBe(before + 1);
    expect(fake.threads().find((t) => t.threadId === input.threadId)?.turns).toBe(2);

    // A fresh runner (another replica) re-posts the same thread id and the host keeps the history.
    const third = await makeRunner().run({ ...input, text: 'third' }, collector().onEvent);
    expect(third.text).toContain('turn 3');
    expect(mounted.threadPosts()).toBe(before + 2);
  });

  it('gives a new thread for a new session generation', async () => {
    const sessionKey = 'int-1:conv-gen:user-1';
    const first = await runner.run({ ...freshInput('a'), sessionKey, threadId: threadIdFor(sessionKey, 1) }, collector().onEvent);
    const again = await runner.run({ ...freshInput('b'), sessionKey, threadId: threadIdFor(sessionKey, 1) }, collector().onEvent);
    const fresh = await runner.run({ ...freshInput('c'), sessionKey, threadId: threadIdFor(sessionKey, 2) }, collector().onEvent);
    expect(again.conversationId).toBe(first.conversationId);
    expect(fresh.conversationId).not.toBe(first.conversationId);
    expect(fresh.text).toContain('turn 1');
  });

  it('applies backpressure: a slow onEvent gets every event, in order, one at a time', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const events: ExpertStreamEvent[] = [];
    const result = await runner.run(freshInput('/long 6000'), async (event) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      events.push(event);
      inFlight--;
    });
    expect(maxInFlight).toBe(1);
    expect(result.text).toBe(longAnswer(6000));
    expect(result.text).toHaveLength(6000);
    expect(events.filter((e) => e.type === 'text').map((e) => (e.type === 'text' ? e.delta : '')).join('')).toBe(result.text);
    expect(events.at(-1)).toEqual({ type: 'end', status: 'idle' });
  });

  it('handles slow streams and file references', async () => {
    const input = freshInput('take your time /slow', { files: [{ id: 'file-1', name: 'report.pdf' }] });
    const result = await runner.run(input, collector().onEvent);
    expect(result.status).toBe('idle');
    const body = fake.runs().filter((r) => r.threadId === input.threadId).at(-1)?.body as { input: { input: unknown } };
    expect(body.input.input).toEqual({ input: 'take your time /slow', files: [{ id: 'file-1', name: 'report.pdf' }] });
  });

  it('emits a single end when the host closes with `event: complete`', async () => {
    const { events, onEvent } = collector();
    const result = await makeRunner({ baseUrl: `${completeBaseUrl}/api/` }).run(freshInput('hello'), onEvent);
    expect(result.status).toBe('idle');
    expect(events.filter((e) => e.type === 'end')).toEqual([{ type: 'end', status: 'idle' }]);
  });

  it('resolves with an idle-timeout error when the expert goes silent mid-answer', async () => {
    const { events, onEvent } = collector();
    const result = await makeRunner({ idleTimeoutMs: 300 }).run(freshInput('wait /hang'), onEvent);
    expect(result).toMatchObject({ status: 'error', errorCode: 'dingtalk_expert_idle_timeout', text: 'Thinking…' });
    expect(events.at(-1)).toMatchObject({ type: 'end', status: 'error' });
  });

  it('honours the abort signal before and during a run', async () => {
    const early = new AbortController();
    early.abort();
    expect((await rejection(runner.run(freshInput('x', { signal: early.signal }), collector().onEvent))).code).toBe('dingtalk_expert_aborted');

    const during = new AbortController();
    const run = runner.run(freshInput('wait /hang', { signal: during.signal }), (event) => {
      if (event.type === 'text') during.abort();
    });
    expect((await rejection(run)).code).toBe('dingtalk_expert_aborted');
  });

  it('propagates an onEvent failure unchanged', async () => {
    const boom = new Error('reply sender failed');
    await expect(
      runner.run(freshInput('hello'), (event) => {
        if (event.type === 'text') throw boom;
      }),
    ).rejects.toBe(boom);
  });

  it('reports an unreachable host and a host that never answers', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const { port } = closed.address() as AddressInfo;
    await closeServer(closed);
    const unreachable = await rejection(makeRunner({ baseUrl: `http://127.0.0.1:${port}` }).run(freshInput('hi'), collector().onEvent));
    expect(unreachable.code).toBe('dingtalk_expert_unreachable');

    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    try {
      const address = silent.address() as AddressInfo;
      const slow = makeRunner({ baseUrl: `http://127.0.0.1:${address.port}`, timeoutMs: 200 });
      expect((await rejection(slow.run(freshInput('hi'), collector().onEvent))).code).toBe('dingtalk_expert_timeout');
    } finally {
      await closeServer(silent);
    }
  });

  it('never logs the API key or the message text', async () => {
    await runner.run(freshInput('my salary is 12345 /tool'), collector().onEvent);
    await rejection(makeRunner({ apiKey: 'sk-x-wrong' }).run(freshInput('secret words'), collector().onEvent));
    const all = logger.lines.join('\n');
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(all).not.toContain(API_KEY);
    expect(all).not.toContain('sk-x-wrong');
    expect(all).not.toContain('12345');
    expect(all).not.toContain('secret words');
  });

  it('fake host: Nest framing, 401 JSON, 500 for an unknown thread or a body without input.input', async () => {
    const post = (path: string, body: unknown, key = API_KEY) =>
      fetch(`${mounted.baseUrl}/api/ai${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(body) });
    const unauthorized = await post('/threads', {}, 'nope');
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toMatchObject({ statusCode: 401, message: 'Unauthorized' });
    expect((await post('/threads/unknown-thread/runs/stream', { assistant_id: XPERT, input: { input: { input: 'x' } } })).status).toBe(500);
    const created = await post('/threads', { thread_id: 'raw-thread' });
    expect(await created.json()).toMatchObject({ thread_id: 'raw-thread', metadata: { id: expect.any(String) } });
    expect((await post('/threads', { thread_id: 'raw-thread' })).status).toBe(200);
    expect((await post('/threads/raw-thread/runs/stream', { assistant_id: XPERT, input: { command: { resume: {} } } })).status).toBe(500);
    const stream = await post('/threads/raw-thread/runs/stream', { assistant_id: XPERT, input: { input: { input: 'hi' } } });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const text = await stream.text();
    expect(text.startsWith('\nid: 1\ndata: {"type":"event","event":"on_conversation_start"')).toBe(true);
    expect(text).toContain('data: : keep-alive\ndata: \ndata: \n\n');
    expect(text.trimEnd().endsWith('"error":null}}')).toBe(true);
  });

  it('rejects an invalid configuration with a coded error', () => {
    expect(() => new XpertApiRunner({ baseUrl: 'not a url', apiKey: API_KEY })).toThrow(DingTalkError);
    expect(() => new XpertApiRunner({ baseUrl: 'http://127.0.0.1:1', apiKey: ' ' })).toThrow(/API key/);
  });
});
