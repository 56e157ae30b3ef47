import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { createSimulator, type DingTalkSimulator } from '../../../sandbox/simulator';
import { DingTalkUserDriver } from '../../../sandbox/simulator/user-driver';

// The simulator answers as DingTalk's documents say, where the plugin would be better off if it did
// not: no redelivery, the documented card and streaming error codes, the open space model required,
// one QPS budget per app whatever the number of connections, and a card that is created although its
// answer arrives too late. Raw HTTP and WebSocket only.

const APP = { clientId: 'dingruleapp', clientSecret: 'rule-secret' };
const ROBOT_TOPIC = '/v1.0/im/bot/messages/get';
const CREATE = '/v1.0/card/instances/createAndDeliver';
let sim: DingTalkSimulator;
let token: string;
// The simulator's clock stands still, so "within one second" never depends on how fast this machine is.
const frozenNow = Date.now();

interface Answer {
  status: number;
  body: any;
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Answer> {
  const response = await fetch(`${sim.baseUrl}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body), signal });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** One request on a connection of its own (no keep-alive pool), as another replica would make it. */
function callOnNewConnection(method: string, path: string, body: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${sim.baseUrl}${path}`, { method, agent: false, headers: { 'content-type': 'application/json', 'x-acs-dingtalk-access-token': token } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const api = (method: string, path: string, body?: unknown, signal?: AbortSignal) => call(method, path, body, { 'x-acs-dingtalk-access-token': token }, signal);

const privateCard = (extra: Record<string, unknown> = {}) => ({
  cardTemplateId: 'tpl',
  outTrackId: 'rule-card-1',
  cardData: { cardParamMap: { content: 'a' } },
  openSpaceId: 'dtv1.card//IM_ROBOT.u1',
  imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT' },
  imRobotOpenSpaceModel: { supportForward: true },
  ...extra,
});

const groupCard = (extra: Record<string, unknown> = {}) => ({
  cardTemplateId: 'tpl',
  outTrackId: 'rule-card-g',
  cardData: { cardParamMap: { content: 'a' } },
  openSpaceId: 'dtv1.card//IM_GROUP.cidRules',
  imGroupOpenDeliverModel: { robotCode: APP.clientId },
  imGroupOpenSpaceModel: { supportForward: true },
  ...extra,
});

const send = () => api('POST', '/v1.0/robot/oToMessages/batchSend', { robotCode: APP.clientId, userIds: ['u1'], msgKey: 'sampleText', msgParam: JSON.stringify({ content: 'hi' }) });

beforeAll(async () => {
  sim = await createSimulator({ now: () => frozenNow });
  sim.apps.register(APP);
});

afterAll(async () => {
  await sim.close();
});

beforeEach(async () => {
  sim.faults.clear();
  sim.clearMessages();
  sim.gateway.setRedelivery('none');
  token = (await call('POST', '/v1.0/oauth2/accessToken', { appKey: APP.clientId, appSecret: APP.clientSecret })).body.accessToken;
});

describe('cards (create-and-deliver and streaming error tables)', () => {
  it('answers a second create with the same outTrackId with HTTP 400 param.cardAlreadyExist, and keeps one card', async () => {
    expect((await api('POST', CREATE, privateCard())).status).toBe(200);
    const again = await api('POST', CREATE, privateCard({ cardData: { cardParamMap: { content: 'other' } } }));
    expect(again).toMatchObject({ status: 400, body: { code: 'param.cardAlreadyExist' } });
    expect(sim.messages()).toHaveLength(1);
    expect((sim.messages()[0].content as any).cardParamMap.content).toBe('a');
  });

  it('refuses a create without its open space model with param.openSpaceModelInvalid, private and group alike', async () => {
    const noRobotModel = await api('POST', CREATE, privateCard({ imRobotOpenSpaceModel: undefined }));
    expect(noRobotModel).toMatchObject({ status: 400, body: { code: 'param.openSpaceModelInvalid' } });
    const noGroupModel = await api('POST', CREATE, groupCard({ imGroupOpenSpaceModel: undefined }));
    expect(noGroupModel).toMatchObject({ status: 400, body: { code: 'param.openSpaceModelInvalid' } });
    // The doc: supportForward is required whenever the model is sent.
    expect((await api('POST', CREATE, groupCard({ imGroupOpenSpaceModel: {} }))).body.code).toBe('param.openSpaceModelInvalid');
    // The other space's model does not count.
    expect((await api('POST', CREATE, groupCard({ imGroupOpenSpaceModel: undefined, imRobotOpenSpaceModel: { supportForward: true } }))).body.code).toBe('param.openSpaceModelInvalid');
    expect(sim.messages()).toHaveLength(0);
    expect((await api('POST', CREATE, groupCard())).status).toBe(200);
  });

  it('refuses an empty streaming content with param.stream.contentEmpty and leaves the card as it was', async () => {
    await api('POST', CREATE, privateCard());
    const chunk = { outTrackId: 'rule-card-1', guid: 'g-empty', key: 'content', content: '', isFull: true, isFinalize: false, isError: false };
    expect(await api('PUT', '/v1.0/card/streaming', chunk)).toMatchObject({ status: 400, body: { code: 'param.stream.contentEmpty' } });
    expect((sim.messages()[0].content as any).cardParamMap.content).toBe('a');
    expect((await api('PUT', '/v1.0/card/streaming', { ...chunk, key: '' })).body.code).toBe('param.stream.keyEmpty');
    expect((await api('PUT', '/v1.0/card/streaming', { ...chunk, guid: '' })).body.code).toBe('param.stream.guidEmpty');
    expect((await api('PUT', '/v1.0/card/streaming', { ...chunk, outTrackId: 'nope', content: 'x' })).body.code).toBe('param.stream.outTrackId');
  });

  it('creates the card although the answer leaves after the client gave up (lateAnswer)', async () => {
    sim.faults.set({ lateAnswer: { path: CREATE, ms: 1500 } });
    await expect(api('POST', CREATE, privateCard(), AbortSignal.timeout(150))).rejects.toThrow();
    expect(sim.messages()).toEqual([expect.objectContaining({ kind: 'card', outTrackId: 'rule-card-1' })]);
    // Only the next one is late: the client's retry learns at once that the card exists.
    expect(await api('POST', CREATE, privateCard())).toMatchObject({ status: 400, body: { code: 'param.cardAlreadyExist' } });
  });
});

describe('QPS (invocation-frequency-limit, server-api-error-codes)', () => {
  it('counts one budget per app and API across connections, answering HTTP 403 Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', async () => {
    sim.faults.set({ rateLimitPerSecond: 2 });
    const first = await callOnNewConnection('POST', '/v1.0/robot/oToMessages/batchSend', { robotCode: APP.clientId, userIds: ['u1'], msgKey: 'sampleText', msgParam: '{"content":"a"}' });
    const second = await send();
    const third = await callOnNewConnection('POST', '/v1.0/robot/oToMessages/batchSend', { robotCode: APP.clientId, userIds: ['u1'], msgKey: 'sampleText', msgParam: '{"content":"c"}' });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(third).toMatchObject({ status: 403, body: { code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi' } });
    // Another API has its own budget; the old family answers 90018 inside HTTP 200.
    expect((await api('POST', '/v1.0/robot/groupMessages/send', { robotCode: APP.clientId, openConversationId: 'c', msgKey: 'sampleText', msgParam: '{"content":"x"}' })).status).toBe(200);
    await call('POST', `/topapi/v2/department/listsub?access_token=${token}`, { dept_id: 1 });
    await call('POST', `/topapi/v2/department/listsub?access_token=${token}`, { dept_id: 1 });
    expect(await call('POST', `/topapi/v2/department/listsub?access_token=${token}`, { dept_id: 1 })).toMatchObject({ status: 200, body: { errcode: 90018 } });
  });

  it('never charges the session webhook to the OpenAPI budget; its own limit is off unless set', async () => {
    const driver = new DingTalkUserDriver({ simulator: sim, app: APP });
    const webhook = (driver.robotMessage({ conversationType: 'private', text: 'q', senderStaffId: 'u1' }) as { sessionWebhook: string }).sessionWebhook;
    const reply = () => fetch(webhook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ msgtype: 'text', text: { content: 'r' } }) }).then((r) => r.json() as Promise<any>);
    sim.faults.set({ rateLimitPerSecond: 1 });
    const open = await Promise.all(Array.from({ length: 5 }, reply));
    expect(open.map((b) => b.errcode)).toEqual([0, 0, 0, 0, 0]);
    sim.faults.set({ rateLimitPerSecond: 1, sessionWebhookPerSecond: 2 });
    const limited = [];
    for (let i = 0; i < 3; i++) limited.push((await reply()).errcode);
    expect(limited).toEqual([0, 0, 90018]);
  });
});

describe('no redelivery (Stream protocol FAQ; no documented retry of HTTP robot callbacks)', () => {
  // Each test starts with no open connection (a closing one of the test before would take pushes).
  beforeEach(async () => {
    for (const conn of sim.gateway.connections(APP.clientId).filter((c) => c.open)) await sim.gateway.waitForClosed(conn.id);
  });

  async function openSocket(onFrame: (frame: any, ws: WebSocket) => void): Promise<WebSocket> {
    const opened = await call('POST', '/v1.0/gateway/connections/open', { clientId: APP.clientId, clientSecret: APP.clientSecret, subscriptions: [{ type: 'CALLBACK', topic: ROBOT_TOPIC }], ua: 'rules-test' });
    const ws = new WebSocket(`${opened.body.endpoint}?ticket=${opened.body.ticket}`);
    ws.on('message', (raw) => onFrame(JSON.parse(raw.toString()), ws));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return ws;
  }
  const ack = (ws: WebSocket, frame: any) => ws.send(JSON.stringify({ code: 200, headers: { contentType: 'application/json', messageId: frame.headers.messageId }, message: 'OK', data: JSON.stringify({ response: null }) }));

  it('does not push an unacknowledged robot message again, not even to the next connection', async () => {
    const seen: string[] = [];
    const silent = await openSocket((frame) => void (frame.type === 'CALLBACK' && seen.push('silent')));
    const result = sim.gateway.pushCallback(APP.clientId, ROBOT_TOPIC, { text: 'once' }, { messageId: 'rule-n1' });
    await waitUntil(() => seen.length === 1);
    const acking = await openSocket((frame, ws) => {
      if (frame.type !== 'CALLBACK') return;
      seen.push('acking');
      ack(ws, frame);
    });
    silent.terminate();
    expect(await result).toEqual({ acked: false, messageId: 'rule-n1' });
    // A later push reaches the open connection, and nothing of the first came along.
    expect(await sim.gateway.pushCallback(APP.clientId, ROBOT_TOPIC, { text: 'next' }, { messageId: 'rule-n2' })).toMatchObject({ acked: true, code: 200 });
    expect(seen).toEqual(['silent', 'acking']);
    acking.close();
  });

  it('pushes it again to the next connection with redelivery sdk-60s', async () => {
    sim.gateway.setRedelivery('sdk-60s');
    const seen: string[] = [];
    const silent = await openSocket((frame) => void (frame.type === 'CALLBACK' && seen.push('silent')));
    const result = sim.gateway.pushCallback(APP.clientId, ROBOT_TOPIC, { text: 'again' }, { messageId: 'rule-r1' });
    await waitUntil(() => seen.length === 1);
    const acking = await openSocket((frame, ws) => {
      if (frame.type !== 'CALLBACK') return;
      seen.push('acking');
      ack(ws, frame);
    });
    silent.terminate();
    expect(await result).toMatchObject({ acked: true, code: 200 });
    expect(seen).toEqual(['silent', 'acking']);
    acking.close();
  });

  it('with sdk-60s, pushes an unacknowledged robot message once more on the same connection after the wait', async () => {
    const quick = await createSimulator({ streamRedelivery: 'sdk-60s', streamRedeliveryAfterMs: 100, streamAckTimeoutMs: 20_000 });
    quick.apps.register(APP);
    try {
      const opened = await fetch(`${quick.baseUrl}/v1.0/gateway/connections/open`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: APP.clientId, clientSecret: APP.clientSecret, subscriptions: [{ type: 'CALLBACK', topic: ROBOT_TOPIC }], ua: 'rules-test' }),
      }).then((r) => r.json() as Promise<{ endpoint: string; ticket: string }>);
      const seen: string[] = [];
      const ws = new WebSocket(`${opened.endpoint}?ticket=${opened.ticket}`);
      ws.on('message', (raw) => {
        const frame = JSON.parse(raw.toString());
        if (frame.type !== 'CALLBACK') return;
        seen.push(frame.headers.messageId);
        if (seen.length === 2) ack(ws, frame); // silent the first time, like a client that lost it
      });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      expect(await quick.gateway.pushCallback(APP.clientId, ROBOT_TOPIC, { text: 'again' }, { messageId: 'rule-t1' })).toMatchObject({ acked: true, code: 200 });
      expect(seen).toEqual(['rule-t1', 'rule-t1']);
      ws.close();
    } finally {
      await quick.close();
    }
  });

  it('drops a robot message pushed while no connection is open (none), and queues it for one (sdk-60s)', async () => {
    expect(await sim.gateway.pushCallback(APP.clientId, ROBOT_TOPIC, {}, { messageId: 'rule-none' })).toEqual({ acked: false, messageId: 'rule-none' });
    expect(sim.gateway.pendingCount(APP.clientId)).toBe(0);
    sim.gateway.setRedelivery('sdk-60s');
    const queued = sim.gateway.pushCallback(APP.clientId, ROBOT_TOPIC, {}, { messageId: 'rule-queued' });
    expect(sim.gateway.pendingCount(APP.clientId)).toBe(1);
    const ws = await openSocket((frame, socket) => frame.type === 'CALLBACK' && ack(socket, frame));
    expect(await queued).toMatchObject({ acked: true, code: 200 });
    ws.close();
  });

  it('the user driver posts a robot message once; the event-like switch retries it', async () => {
    let hits = 0;
    const server: Server = createServer((_req, res) => {
      hits += 1;
      res.statusCode = hits < 3 ? 503 : 200;
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      const once = new DingTalkUserDriver({ simulator: sim, app: APP });
      expect((await once.postRobotMessage(url, once.robotMessage({ conversationType: 'private', text: 'x', senderStaffId: 'u1' }))).status).toBe(503);
      expect(hits).toBe(1);
      const retrying = new DingTalkUserDriver({ simulator: sim, app: APP, robotRetry: 'event-like', retryDelaysMs: [1, 1] });
      expect((await retrying.postRobotMessage(url, retrying.robotMessage({ conversationType: 'private', text: 'x', senderStaffId: 'u1' }))).status).toBe(200);
      expect(hits).toBe(3);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(check()).toBe(true);
}
