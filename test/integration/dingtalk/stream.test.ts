import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TOPIC_CARD, TOPIC_ROBOT } from 'dingtalk-stream';
import WebSocket from 'ws';
import { StreamGateway, type AckResult } from '../../../sandbox/simulator/stream-gateway';
import {
  DingTalkStreamConnection,
  type DingTalkStreamOptions,
  type StreamMessageMeta,
  type StreamStatus,
} from '../../../src/dingtalk/stream';

// Real DWClient (through our wrapper) against the simulator's Stream gateway on 127.0.0.1.
// Ordering is proven with deferred promises and a SYSTEM ping round trip, never with sleeps.

const secretOf = (clientId: string) => `s3cr3t-${clientId}-Qx7`;

let server: http.Server;
let gateway: StreamGateway;
let baseUrl: string;
let gatewayUrl: string;
const live: DingTalkStreamConnection[] = [];
const consoleLines: string[] = [];
let appSeq = 0;

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function newApp(): string {
  appSeq += 1;
  return `dingsimapp${appSeq}`;
}

/** setTimeout/clearTimeout that remember which timers are still pending. */
function trackedTimers() {
  const pending = new Set<NodeJS.Timeout>();
  return {
    pending,
    setTimeout: (callback: () => void, ms: number) => {
      const handle = setTimeout(() => {
        pending.delete(handle);
        callback();
      }, ms);
      pending.add(handle);
      return handle;
    },
    clearTimeout: (handle: unknown) => {
      pending.delete(handle as NodeJS.Timeout);
      clearTimeout(handle as NodeJS.Timeout);
    },
  };
}

function captureLogger() {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { lines, logger: { debug: at('debug'), log: at('log'), warn: at('warn'), error: at('error') } };
}

function connect(clientId: string, overrides: Partial<DingTalkStreamOptions> = {}): DingTalkStreamConnection {
  const connection = new DingTalkStreamConnection({
    clientId,
    clientSecret: secretOf(clientId),
    gatewayUrl,
    backoff: { baseMs: 20, maxMs: 200 },
    onRobotMessage: async () => undefined,
    onCardCallback: async () => undefined,
    ...overrides,
  });
  live.push(connection);
  return connection;
}

function waitForStatus(connection: DingTalkStreamConnection, predicate: (s: StreamStatus) => boolean): Promise<StreamStatus> {
  return new Promise((resolve) => {
    if (predicate(connection.status())) return resolve(connection.status());
    const off = connection.onStatusChange((status) => {
      if (!predicate(status)) return;
      off();
      resolve(status);
    });
  });
}

function expectAcked(result: AckResult): asserts result is Extract<AckResult, { acked: true }> {
  expect(result.acked).toBe(true);
}

const robotPayload = (text: string) => ({
  msgtype: 'text',
  msgId: `msg-${text}`,
  conversationType: '1',
  conversationId: 'cidSIM==',
  senderStaffId: 'user001',
  text: { content: text },
});

beforeAll(async () => {
  // The SDK writes to console on every connect/close; keep it, to prove it never prints a secret.
  for (const level of ['info', 'warn', 'error'] as const) {
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void consoleLines.push(args.map(String).join(' ')));
  }
  gateway = new StreamGateway({ validateApp: (id, secret) => secret === secretOf(id), ackTimeoutMs: 8000 });
  server = http.createServer((req, res) => {
    if (!gateway.handleHttp(req, res)) {
      res.statusCode = 404;
      res.end();
    }
  });
  gateway.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  gatewayUrl = `${baseUrl}/v1.0/gateway/connections/open`;
});

afterEach(() => gateway.setRedelivery('none'));

afterAll(async () => {
  await Promise.all(live.map((c) => c.stop()));
  await gateway.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  for (const id of Array.from({ length: appSeq }, (_, i) => `dingsimapp${i + 1}`)) {
    expect(consoleLines.join('\n')).not.toContain(secretOf(id));
  }
  jest.restoreAllMocks();
});

describe('DingTalkStreamConnection against the simulated gateway', () => {
  it('opens a connection with the right clientId, Accept header and subscriptions', async () => {
    const app = newApp();
    const status = await connect(app).start();
    expect(status).toMatchObject({ state: 'connected', reconnectCount: 0 });
    expect(status.connectedAt).toEqual(expect.any(String));

    const [request] = gateway.openRequests(app);
    expect(request).toMatchObject({ clientId: app, accept: 'application/json', status: 200 });
    const expected = [
      { type: 'EVENT', topic: '*' },
      { type: 'CALLBACK', topic: TOPIC_ROBOT },
      { type: 'CALLBACK', topic: TOPIC_CARD },
    ];
    expect(request.subscriptions).toEqual(expect.arrayContaining(expected));
    expect(request.subscriptions).toHaveLength(3);
    const conns = await gateway.waitForConnection(app);
    expect(conns[0].subscriptions).toHaveLength(3);
  });

  it('ACKs a robot message with the same messageId and code 200 only after the handler resolved', async () => {
    const app = newApp();
    const entered = deferred<{ data: unknown; meta: StreamMessageMeta }>();
    const release = deferred();
    await connect(app, {
      onRobotMessage: async (data, meta) => {
        entered.resolve({ data, meta });
        await release.promise;
      },
    }).start();

    const acked = gateway.pushCallback(app, TOPIC_ROBOT, robotPayload('hello'), { messageId: 'robot-msg-1' });
    const { data, meta } = await entered.promise;
    expect(meta).toMatchObject({ messageId: 'robot-msg-1', topic: TOPIC_ROBOT, type: 'CALLBACK' });
    expect(data).toEqual(robotPayload('hello'));

    // Barrier: the ping answer travels the same socket, so an early ACK would have arrived before it.
    await gateway.ping(app);
    expect(gateway.acks({ messageId: 'robot-msg-1' })).toHaveLength(0);
    expect(gateway.pendingCount(app)).toBe(1);

    release.resolve();
    const ack = await acked;
    expectAcked(ack);
    expect(ack.code).toBe(200);
    expect(JSON.parse(ack.data)).toEqual({ response: null });
    expect(gateway.pendingCount(app)).toBe(0);
  });

  it('ACKs a card callback with the handler result as the response, after the handler resolved', async () => {
    const app = newApp();
    const entered = deferred<StreamMessageMeta>();
    const release = deferred();
    const cardUpdate = { cardData: { cardParamMap: { status: 'accepted' } } };
    await connect(app, {
      onCardCallback: async (_data, meta) => {
        entered.resolve(meta);
        await release.promise;
        return cardUpdate;
      },
    }).start();

    const callback = { type: 'actionCallback', outTrackId: 'track-1', userId: 'user001', content: JSON.stringify({ cardPrivateData: { params: { action: 'accept' } } }) };
    const acked = gateway.pushCallback(app, TOPIC_CARD, callback, { messageId: 'card-msg-1' });
    expect((await entered.promise).messageId).toBe('card-msg-1');
    await gateway.ping(app);
    expect(gateway.acks({ messageId: 'card-msg-1' })).toHaveLength(0);

    release.resolve();
    const ack = await acked;
    expectAcked(ack);
    expect(ack.code).toBe(200);
    expect(JSON.parse(ack.data)).toEqual({ response: cardUpdate });
  });

  it('sends no success ACK when the handler rejects; a redelivery then succeeds with the same messageId', async () => {
    const app = newApp();
    const seen: string[] = [];
    const firstFailed = deferred();
    const { lines, logger } = captureLogger();
    await connect(app, {
      logger,
      onRobotMessage: async (_data, meta) => {
        seen.push(meta.messageId);
        if (seen.length === 1) {
          firstFailed.resolve();
          throw new Error('database unavailable');
        }
      },
    }).start();

    void gateway.pushCallback(app, TOPIC_ROBOT, robotPayload('secret-ish body'), { messageId: 'robot-fail-1' });
    await firstFailed.promise;
    await gateway.ping(app);
    expect(gateway.acks({ messageId: 'robot-fail-1' })).toHaveLength(0);
    expect(gateway.pendingCount(app)).toBe(1);

    const ack = await gateway.redeliver('robot-fail-1');
    expectAcked(ack);
    expect(ack.code).toBe(200);
    expect(seen).toEqual(['robot-fail-1', 'robot-fail-1']);
    expect(gateway.pendingCount(app)).toBe(0);
    expect(lines.some((l) => l.startsWith('warn') && l.includes('robot-fail-1'))).toBe(true);
    expect(lines.join('\n')).not.toContain('secret-ish body');
  });

  it('hands a redelivered (already acknowledged) frame to the handler again with the same messageId', async () => {
    const app = newApp();
    const seen: StreamMessageMeta[] = [];
    await connect(app, { onRobotMessage: async (_d, meta) => void seen.push(meta) }).start();

    expectAcked(await gateway.pushCallback(app, TOPIC_ROBOT, robotPayload('once'), { messageId: 'robot-dup-1' }));
    expectAcked(await gateway.redeliver('robot-dup-1'));
    expect(seen.map((m) => m.messageId)).toEqual(['robot-dup-1', 'robot-dup-1']);
    expect(gateway.acks({ messageId: 'robot-dup-1' }).map((a) => a.code)).toEqual([200, 200]);
  });

  it('answers EVENT frames SUCCESS after the handler resolved and LATER when it rejected', async () => {
    const app = newApp();
    const release = deferred();
    const entered = deferred<Record<string, unknown>>();
    let calls = 0;
    await connect(app, {
      onEvent: async (headers, data) => {
        calls += 1;
        if (calls === 1) {
          entered.resolve({ ...headers, data });
          await release.promise;
          return;
        }
        throw new Error('not now');
      },
    }).start();

    const first = gateway.pushEvent(app, 'chat_update_title', { title: 'x' }, { eventId: 'ev-1', messageId: 'event-msg-1' });
    expect(await entered.promise).toMatchObject({ eventType: 'chat_update_title', eventId: 'ev-1', messageId: 'event-msg-1', data: { title: 'x' } });
    await gateway.ping(app);
    expect(gateway.acks({ messageId: 'event-msg-1' })).toHaveLength(0);
    release.resolve();
    const ok = await first;
    expectAcked(ok);
    expect(JSON.parse(ok.data)).toMatchObject({ status: 'SUCCESS' });

    const later = await gateway.pushEvent(app, 'chat_update_title', { title: 'y' }, { messageId: 'event-msg-2' });
    expectAcked(later);
    expect(JSON.parse(later.data)).toMatchObject({ status: 'LATER' });
    expect(gateway.pendingCount(app)).toBe(1); // LATER keeps it for redelivery
  });

  it('reconnects after the socket is dropped and delivers a message pushed while disconnected', async () => {
    // Only a gateway that pushes again (the SDK's claim) keeps a message pushed with no connection open.
    gateway.setRedelivery('sdk-60s');
    const app = newApp();
    const seen: string[] = [];
    const connection = connect(app, { onRobotMessage: async (_d, meta) => void seen.push(meta.messageId) });
    await connection.start();
    const [before] = await gateway.waitForConnection(app);

    const sawReconnecting = waitForStatus(connection, (s) => s.state === 'reconnecting');
    gateway.dropSocket(app);
    const acked = gateway.pushCallback(app, TOPIC_ROBOT, robotPayload('during outage'), { messageId: 'robot-outage-1' });
    expect(gateway.pendingCount(app)).toBe(1);
    expect((await sawReconnecting).lastError).toMatch(/closed/);

    const status = await waitForStatus(connection, (s) => s.state === 'connected' && s.reconnectCount === 1);
    expect(status.lastError).toBeUndefined();
    const ack = await acked;
    expectAcked(ack);
    expect(ack.code).toBe(200);
    expect(ack.connectionId).not.toBe(before.id);
    expect(seen).toEqual(['robot-outage-1']);
  });

  it('opens the new connection on a SYSTEM disconnect before the old one closes, losing nothing', async () => {
    gateway.setRedelivery('sdk-60s');
    const app = newApp();
    const seen: string[] = [];
    const firstEntered = deferred();
    const releaseFirst = deferred();
    const connection = connect(app, {
      onRobotMessage: async (_d, meta) => {
        seen.push(meta.messageId);
        if (meta.messageId === 'robot-before' && seen.filter((id) => id === 'robot-before').length === 1) {
          firstEntered.resolve();
          await releaseFirst.promise;
        }
      },
    });
    await connection.start();
    const [old] = await gateway.waitForConnection(app);

    const before = gateway.pushCallback(app, TOPIC_ROBOT, robotPayload('before'), { messageId: 'robot-before' });
    await firstEntered.promise;
    gateway.sendDisconnect(app, { closeAfterMs: 500 });
    const after = gateway.pushCallback(app, TOPIC_ROBOT, robotPayload('after'), { messageId: 'robot-after' });

    // Both sockets open at once: the client did not wait for the server to close the old one.
    const both = await gateway.waitForConnection(app, { count: 2 });
    expect(both.map((c) => c.id)).toContain(old.id);
    await waitForStatus(connection, (s) => s.state === 'connected' && s.reconnectCount === 1);

    releaseFirst.resolve();
    const [ackBefore, ackAfter] = await Promise.all([before, after]);
    expectAcked(ackBefore);
    expectAcked(ackAfter);
    expect([ackBefore.code, ackAfter.code]).toEqual([200, 200]);
    expect(ackAfter.connectionId).not.toBe(old.id);
    expect(seen).toEqual(expect.arrayContaining(['robot-before', 'robot-after']));
    expect(gateway.pendingCount(app)).toBe(0);

    await gateway.waitForClosed(old.id);
    expect(connection.status()).toMatchObject({ state: 'connected', reconnectCount: 1 });
  });

  it('detects a peer that stopped answering pings (keepalive) and reconnects', async () => {
    const app = newApp();
    const connection = connect(app, { heartbeatIntervalMs: 100 });
    await connection.start();
    const [stalled] = await gateway.waitForConnection(app);
    gateway.stall(app);

    await waitForStatus(connection, (s) => s.state === 'connected' && s.reconnectCount === 1);
    const ack = await gateway.pushCallback(app, TOPIC_ROBOT, robotPayload('after stall'));
    expectAcked(ack);
    expect(ack.connectionId).not.toBe(stalled.id);
  });

  it('reports bad credentials as failed with a lastError that holds no secret, and stop() ends the retries', async () => {
    const app = newApp();
    const timers = trackedTimers();
    const { lines, logger } = captureLogger();
    const connection = connect(app, { clientSecret: 'wrong-secret-value-123', logger, ...timers });

    const status = await connection.start();
    expect(status.state).toBe('failed');
    expect(status.lastError).toMatch(/dingtalk_stream_gateway_rejected/);
    expect(status.lastError).toMatch(/401/);
    expect(status.lastError).not.toContain('wrong-secret-value-123');
    expect(lines.join('\n')).not.toContain('wrong-secret-value-123');
    expect(gateway.openRequests(app).map((r) => r.status)).toEqual([401]);
    expect(timers.pending.size).toBe(1); // the backoff retry

    await connection.stop();
    expect(connection.status().state).toBe('stopped');
    expect(timers.pending.size).toBe(0);
  });

  it('stop() closes the socket and leaves no timer behind, so nothing reconnects', async () => {
    const app = newApp();
    const timers = trackedTimers();
    const states: string[] = [];
    const connection = connect(app, { ...timers, onStatusChange: (s) => void states.push(s.state) });
    await connection.start();
    const [conn] = await gateway.waitForConnection(app);

    await connection.stop();
    await gateway.waitForClosed(conn.id);
    expect(connection.status().state).toBe('stopped');
    expect(timers.pending.size).toBe(0);
    expect(states).toEqual(['connecting', 'connected', 'stopped']);
    expect(await connection.start()).toMatchObject({ state: 'stopped' });
    expect(gateway.openRequests(app)).toHaveLength(1);
  });
});

describe('reconnect pacing (one attempt in flight, capped exponential backoff)', () => {
  /** Timers that record each requested delay and the most retry timers ever pending at once. */
  function pacingTimers(limit: number) {
    const timers = trackedTimers();
    const delays: number[] = [];
    const reached = deferred();
    let maxPending = 0;
    return {
      delays,
      reached,
      pending: timers.pending,
      maxPending: () => maxPending,
      clearTimeout: timers.clearTimeout,
      setTimeout: (callback: () => void, ms: number) => {
        delays.push(ms);
        const handle = timers.setTimeout(callback, ms);
        maxPending = Math.max(maxPending, timers.pending.size);
        if (delays.length === limit) reached.resolve();
        return handle;
      },
    };
  }

  const pacing = { backoff: { baseMs: 10, maxMs: 40 }, random: () => 0.5 };
  // failures 1, 2, 3, 4 -> 0.5 * min(40, 10 * 2^n)
  const expectedDelays = [10, 20, 20, 20];

  it('backs off when the gateway is unreachable', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const timers = pacingTimers(expectedDelays.length);
    const connection = connect(newApp(), { ...pacing, ...timers, gatewayUrl: `http://127.0.0.1:${port}/v1.0/gateway/connections/open` });
    const first = await connection.start();
    expect(first.state).toBe('reconnecting');
    expect(first.lastError).toMatch(/dingtalk_stream_gateway_unreachable.*ECONNREFUSED/);
    await timers.reached.promise;
    await connection.stop();
    expect(timers.delays).toEqual(expectedDelays);
    expect(timers.maxPending()).toBe(1);
    expect(timers.pending.size).toBe(0);
  });

  it('does not double-schedule when the WebSocket handshake is refused (the SDK 2.1.5 storm path)', async () => {
    // A gateway whose tickets are already expired: open succeeds, the upgrade answers 401.
    const refusing = new StreamGateway({ validateApp: (id, secret) => secret === secretOf(id), ticketTtlMs: -1 });
    const refusingServer = http.createServer((req, res) => void (refusing.handleHttp(req, res) || res.writeHead(404).end()));
    refusing.attach(refusingServer);
    await new Promise<void>((resolve) => refusingServer.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(refusingServer.address() as AddressInfo).port}/v1.0/gateway/connections/open`;
    try {
      const app = newApp();
      const timers = pacingTimers(expectedDelays.length);
      const connection = connect(app, { ...pacing, ...timers, gatewayUrl: url });
      const first = await connection.start();
      expect(first.state).toBe('reconnecting');
      expect(first.lastError).toMatch(/401/);
      await timers.reached.promise;
      await connection.stop();
      expect(timers.delays).toEqual(expectedDelays);
      expect(timers.maxPending()).toBe(1);
      // One open request per attempt: the first plus one per retry that fired before stop().
      expect(refusing.openRequests(app)).toHaveLength(expectedDelays.length);
    } finally {
      await refusing.close();
      await new Promise<void>((resolve) => refusingServer.close(() => resolve()));
    }
  });
});

describe('StreamGateway wire behaviour', () => {
  async function openTicket(clientId: string, subscriptions: Array<{ type: string; topic: string }>) {
    const res = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ clientId, clientSecret: secretOf(clientId), subscriptions, ua: 'test/1' }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { endpoint: string; ticket: string };
  }

  function rawSocket(url: string): Promise<{ ws: WebSocket; frames: Array<Record<string, any>>; next(): Promise<Record<string, any>> }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const frames: Array<Record<string, any>> = [];
      let waiting: ((f: Record<string, any>) => void) | undefined;
      ws.on('message', (raw) => {
        const frame = JSON.parse(raw.toString());
        if (waiting) {
          const w = waiting;
          waiting = undefined;
          w(frame);
        } else frames.push(frame);
      });
      const next = () => (frames.length ? Promise.resolve(frames.shift()!) : new Promise<Record<string, any>>((r) => (waiting = r)));
      ws.once('open', () => resolve({ ws, frames, next }));
      ws.once('error', reject);
    });
  }

  it('rejects bad credentials with a DingTalk-style error', async () => {
    const res = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ clientId: 'nobody', clientSecret: 'nope', subscriptions: [] }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: expect.any(String), message: expect.any(String), requestid: expect.any(String) });
  });

  it('accepts a ticket once and refuses reused or unknown tickets', async () => {
    const app = newApp();
    const { endpoint, ticket } = await openTicket(app, [{ type: 'EVENT', topic: '*' }]);
    expect(endpoint).toBe(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/connect`);
    const first = await rawSocket(`${endpoint}?ticket=${ticket}`);
    await expect(rawSocket(`${endpoint}?ticket=${ticket}`)).rejects.toThrow(/401/);
    await expect(rawSocket(`${endpoint}?ticket=unknown`)).rejects.toThrow(/401/);
    first.ws.close();
    await gateway.waitForClosed(gateway.connections(app)[0].id);
  });

  it('sends frames shaped like DingTalk and only to connections subscribed to the topic', async () => {
    const app = newApp();
    const robotOnly = await openTicket(app, [{ type: 'CALLBACK', topic: TOPIC_ROBOT }]);
    const eventsAndCards = await openTicket(app, [
      { type: 'EVENT', topic: '*' },
      { type: 'CALLBACK', topic: TOPIC_CARD },
    ]);
    const a = await rawSocket(`${robotOnly.endpoint}?ticket=${robotOnly.ticket}`);
    const b = await rawSocket(`${eventsAndCards.endpoint}?ticket=${eventsAndCards.ticket}`);
    await gateway.waitForConnection(app, { count: 2 });

    void gateway.pushCallback(app, TOPIC_ROBOT, { n: 1 }, { messageId: 'wire-1' });
    void gateway.pushEvent(app, 'user_add_org', { userId: ['u1'] }, { eventId: 'ev-wire', messageId: 'wire-2' });
    const robotFrame = await a.next();
    const eventFrame = await b.next();

    expect(robotFrame).toEqual({
      specVersion: '1.0',
      type: 'CALLBACK',
      headers: {
        appId: expect.any(String),
        connectionId: expect.any(String),
        contentType: 'application/json',
        messageId: 'wire-1',
        time: expect.stringMatching(/^\d+$/),
        topic: TOPIC_ROBOT,
      },
      data: JSON.stringify({ n: 1 }),
    });
    expect(eventFrame.type).toBe('EVENT');
    expect(eventFrame.headers).toMatchObject({
      messageId: 'wire-2',
      topic: '*',
      eventType: 'user_add_org',
      eventId: 'ev-wire',
      eventBornTime: expect.stringMatching(/^\d+$/),
      eventCorpId: expect.any(String),
      eventUnifiedAppId: expect.any(String),
    });
    expect(typeof eventFrame.data).toBe('string');

    // ACK on the wire resolves the push and is recorded.
    const ack = gateway.pushCallback(app, TOPIC_CARD, { c: 1 }, { messageId: 'wire-3' });
    const cardFrame = await b.next();
    b.ws.send(JSON.stringify({ code: 200, headers: { contentType: 'application/json', messageId: cardFrame.headers.messageId }, message: 'OK', data: '{"response":null}' }));
    expect(await ack).toMatchObject({ acked: true, code: 200, messageId: 'wire-3' });
    expect(gateway.acks({ messageId: 'wire-3' })[0]).toMatchObject({ type: 'CALLBACK', topic: TOPIC_CARD, code: 200 });

    a.ws.terminate();
    b.ws.terminate();
  });
});
