import { createSimulator, type DingTalkSimulator } from '../../../sandbox/simulator';

// The simulator must answer like DingTalk, so the client tests mean something. Raw fetch only.

const APP = { clientId: 'dingsimapp', clientSecret: 'sim-secret' };
let sim: DingTalkSimulator;
let token: string;

interface Answer {
  status: number;
  body: any;
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${sim.baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const api = (method: string, path: string, body?: unknown) => call(method, path, body, { 'x-acs-dingtalk-access-token': token });
const text = (content: string) => JSON.stringify({ content });
const send = (extra: Record<string, unknown> = {}) =>
  api('POST', '/v1.0/robot/oToMessages/batchSend', { robotCode: APP.clientId, userIds: ['u1'], msgKey: 'sampleText', msgParam: text('hi'), ...extra });

beforeAll(async () => {
  sim = await createSimulator();
  sim.apps.register(APP);
});

afterAll(async () => {
  await sim.close();
});

beforeEach(async () => {
  sim.faults.clear();
  sim.clearMessages();
  token = (await call('POST', '/v1.0/oauth2/accessToken', { appKey: APP.clientId, appSecret: APP.clientSecret })).body.accessToken;
  sim.clearCalls();
});

describe('tokens', () => {
  it('issues tokens, refuses bad credentials, and extends a live token', async () => {
    const bad = await call('POST', '/v1.0/oauth2/accessToken', { appKey: APP.clientId, appSecret: 'nope' });
    expect(bad).toMatchObject({ status: 400, body: { code: 'invalidClientIdOrSecret' } });
    const again = await call('POST', '/v1.0/oauth2/accessToken', { appKey: APP.clientId, appSecret: APP.clientSecret });
    expect(again.body).toEqual({ accessToken: token, expireIn: 7200 });
    const old = await call('GET', `/gettoken?appkey=${APP.clientId}&appsecret=${APP.clientSecret}`);
    expect(old.body).toMatchObject({ errcode: 0, access_token: token, expires_in: 7200 });
  });

  it('refuses a bad token in each family', async () => {
    const body = { robotCode: APP.clientId, userIds: ['u1'], msgKey: 'sampleText', msgParam: text('x') };
    expect(await call('POST', '/v1.0/robot/oToMessages/batchSend', body, { 'x-acs-dingtalk-access-token': 'forged' })).toMatchObject({ status: 400, body: { code: 'InvalidAuthentication' } });
    expect(await call('POST', '/v1.0/robot/oToMessages/batchSend', body)).toMatchObject({ status: 401 });
    expect(await call('POST', '/topapi/v2/department/listsub?access_token=forged', {})).toMatchObject({ status: 200, body: { errcode: 40014 } });
    expect(await call('POST', '/topapi/v2/department/listsub', {})).toMatchObject({ body: { errcode: 41001 } });
    expect(sim.messages()).toHaveLength(0);
  });

  it('expires tokens by the simulator clock', async () => {
    sim.setTokenTtl(60);
    token = (await call('POST', '/v1.0/oauth2/accessToken', { appKey: APP.clientId, appSecret: APP.clientSecret })).body.accessToken;
    sim.advanceTime(61_000);
    expect(await send()).toMatchObject({ status: 401, body: { code: 'InvalidAuthentication' } });
    expect(await call('POST', `/topapi/v2/department/listsub?access_token=${token}`, {})).toMatchObject({ body: { errcode: 42001 } });
    const fresh = await call('POST', '/v1.0/oauth2/accessToken', { appKey: APP.clientId, appSecret: APP.clientSecret });
    expect(fresh.body.accessToken).not.toEqual(token);
    sim.setTokenTtl(7200);
  });
});

describe('robot send validation', () => {
  it.each([
    [{ robotCode: '' }, 'invalidParameter.robotCode.empty'],
    [{ robotCode: 'unknownRobot' }, 'invalidParameter.robotCode.notExsit'],
    [{ userIds: Array.from({ length: 21 }, (_, i) => `u${i}`) }, 'invalidParameter.userIds.overMax'],
    [{ msgParam: 'not json' }, 'invalidParameter.msgParam.invalid'],
    [{ msgParam: { content: 'object, not a string' } }, 'invalidParameter.msgParam.invalid'],
    [{ msgKey: 'sampleNope' }, 'invalidParameter.msgKey.invalid'],
  ])('%j → %s', async (extra, code) => {
    expect(await send(extra)).toMatchObject({ status: 400, body: { code } });
    expect(sim.messages()).toHaveLength(0);
  });

  it('refuses a group msgParam over 15000 bytes', async () => {
    const res = await api('POST', '/v1.0/robot/groupMessages/send', { robotCode: APP.clientId, openConversationId: 'cid1', msgKey: 'sampleText', msgParam: text('字'.repeat(5001)) });
    expect(res).toMatchObject({ status: 400, body: { code: 'invalidParameter.msgParam.tooLong' } });
  });

  it('records a sent message with its parsed content', async () => {
    const res = await send({ userIds: ['u1', 'u2'] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ processQueryKey: expect.any(String), invalidStaffIdList: [], flowControlledStaffIdList: [] });
    expect(sim.messages()).toEqual([
      expect.objectContaining({ processQueryKey: res.body.processQueryKey, kind: 'robot', target: { type: 'user', id: 'u1' }, msgKey: 'sampleText', content: { content: 'hi' }, status: 'sent' }),
      expect.objectContaining({ target: { type: 'user', id: 'u2' } }),
    ]);
  });
});

describe('recall', () => {
  it('recalls within 24 h, refuses after 24 h and unknown keys', async () => {
    const fresh = (await send()).body.processQueryKey;
    const recalled = await api('POST', '/v1.0/robot/otoMessages/batchRecall', { robotCode: APP.clientId, processQueryKeys: [fresh, 'unknown'] });
    expect(recalled.body).toEqual({ successResult: [fresh], failedResult: { unknown: 'invalid.processQueryKey' } });
    expect(sim.messages()[0]).toMatchObject({ status: 'recalled', history: [{ event: 'sent' }, { event: 'recalled' }] });

    const old = (await send({ userIds: ['u9'] })).body.processQueryKey;
    sim.advanceTime(24 * 3600_000 + 1000);
    token = (await call('POST', '/v1.0/oauth2/accessToken', { appKey: APP.clientId, appSecret: APP.clientSecret })).body.accessToken;
    const late = await api('POST', '/v1.0/robot/otoMessages/batchRecall', { robotCode: APP.clientId, processQueryKeys: [old] });
    expect(late.body).toEqual({ successResult: [], failedResult: { [old]: 'robot.processQueryKey.expired' } });
    expect(sim.messages()[1].status).toBe('sent');
  });

  it('recalls a group message only in its own conversation', async () => {
    const sent = await api('POST', '/v1.0/robot/groupMessages/send', { robotCode: APP.clientId, openConversationId: 'cidA', msgKey: 'sampleMarkdown', msgParam: JSON.stringify({ title: 't', text: 'x' }) });
    const key = sent.body.processQueryKey;
    const wrong = await api('POST', '/v1.0/robot/groupMessages/recall', { robotCode: APP.clientId, openConversationId: 'cidB', processQueryKeys: [key] });
    expect(wrong.body.failedResult).toEqual({ [key]: 'invalid.processQueryKey' });
    const right = await api('POST', '/v1.0/robot/groupMessages/recall', { robotCode: APP.clientId, openConversationId: 'cidA', processQueryKeys: [key] });
    expect(right.body.successResult).toEqual([key]);
    expect(sim.messages()[0]).toMatchObject({ target: { type: 'group', id: 'cidA' }, status: 'recalled' });
  });
});

describe('cards', () => {
  const create = (extra: Record<string, unknown> = {}) =>
    api('POST', '/v1.0/card/instances/createAndDeliver', {
      cardTemplateId: 'tpl',
      outTrackId: 'track-1',
      cardData: { cardParamMap: { title: 'a' } },
      openSpaceId: 'dtv1.card//IM_ROBOT.u1',
      imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT' },
      imRobotOpenSpaceModel: { supportForward: true },
      ...extra,
    });

  it('answers a duplicate outTrackId with 400 param.cardAlreadyExist and a missing open space model with param.openSpaceModelInvalid', async () => {
    expect(await create({ imRobotOpenSpaceModel: undefined })).toMatchObject({ status: 400, body: { code: 'param.openSpaceModelInvalid' } });
    expect(sim.messages()).toHaveLength(0);
    expect(await create()).toMatchObject({ status: 200 });
    expect(await create()).toMatchObject({ status: 400, body: { code: 'param.cardAlreadyExist' } });
    expect(sim.messages()).toHaveLength(1);
  });

  it('refuses non-string cardParamMap values and a bad openSpaceId', async () => {
    expect((await create({ cardData: { cardParamMap: { count: 1 } } })).body.code).toMatch(/cardParamMap/);
    expect((await create({ openSpaceId: 'IM_ROBOT.u1' })).body.code).toBe('invalidParameter.openSpaceId.invalid');
    expect(sim.messages()).toHaveLength(0);
  });

  it('updates change what was sent; unknown outTrackId is resource.not.found', async () => {
    expect((await create()).body).toMatchObject({ success: true, result: { outTrackId: 'track-1', deliverResults: [{ spaceType: 'IM_ROBOT', spaceId: 'u1', success: true }] } });
    expect(await api('PUT', '/v1.0/card/instances', { outTrackId: 'track-1', cardData: { cardParamMap: { body: 'b' } } })).toMatchObject({ status: 200 });
    expect(sim.messages()[0]).toMatchObject({ status: 'updated', content: { cardParamMap: { body: 'b' } } }); // overwrite by default
    expect(await api('PUT', '/v1.0/card/instances', { outTrackId: 'nope', cardData: { cardParamMap: {} } })).toMatchObject({ status: 400, body: { code: 'resource.not.found' } });
    const chunk = { outTrackId: 'track-1', guid: 'g1', key: 'body', content: '+', isFull: false, isFinalize: false, isError: false };
    await api('PUT', '/v1.0/card/streaming', chunk);
    await api('PUT', '/v1.0/card/streaming', chunk); // same guid: no change
    expect((sim.messages()[0].content as any).cardParamMap.body).toBe('b+');
  });
});

describe('contacts, files, sessions', () => {
  it('pages users and reports unknown departments old-style', async () => {
    sim.directory.addUser({ userid: 'a', name: 'A' });
    sim.directory.addUser({ userid: 'b', name: 'B' });
    const page = await call('POST', `/topapi/v2/user/list?access_token=${token}`, { dept_id: 1, cursor: 0, size: 1 });
    expect(page.body).toMatchObject({ errcode: 0, result: { has_more: true, next_cursor: 1, list: [{ userid: 'a' }] } });
    expect((await call('POST', `/topapi/v2/user/list?access_token=${token}`, { dept_id: 7, cursor: 0, size: 1 })).body.errcode).toBe(60003);
    expect((await call('POST', `/topapi/v2/user/list?access_token=${token}`, { dept_id: 1, cursor: 0, size: 101 })).body.errcode).toBe(40069);
    sim.directory.clear();
  });

  it('answers a missing scope in both families', async () => {
    sim.faults.set({ missingScope: { path: /listsub|batchSend/, scope: 'qyapi_x' } });
    const old = await call('POST', `/topapi/v2/department/listsub?access_token=${token}`, {});
    expect(old.body).toMatchObject({ errcode: 88, sub_code: '60011' });
    expect(old.body.errmsg).toContain('requiredScopes=[qyapi_x]');
    expect(await send()).toMatchObject({ status: 403, body: { code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied', accessdenieddetail: { requiredScopes: ['qyapi_x'] } } });
  });

  it('serves a file behind a downloadCode', async () => {
    const downloadCode = sim.files.add({ bytes: Buffer.from([1, 2, 3]) });
    const res = await api('POST', '/v1.0/robot/messageFiles/download', { downloadCode, robotCode: APP.clientId });
    const bytes = Buffer.from(await (await fetch(res.body.downloadUrl)).arrayBuffer());
    expect([...bytes]).toEqual([1, 2, 3]);
  });

  it('records session webhook replies and refuses expired or unknown sessions', async () => {
    const session = sim.sessions.create({ clientId: APP.clientId, robotCode: APP.clientId, conversationId: 'cidP', conversationType: '1', senderStaffId: 'u5' });
    const path = session.url.slice(sim.baseUrl.length);
    expect((await call('POST', path, { msgtype: 'text', text: { content: 'reply' } })).body).toMatchObject({ errcode: 0 });
    expect(sim.messages()).toEqual([expect.objectContaining({ kind: 'webhook', target: { type: 'user', id: 'u5' } })]);
    expect((await call('POST', '/robot/sendBySession?session=nope', { msgtype: 'text', text: { content: 'x' } })).body.sub_code).toBe('session.notExisted');
    sim.advanceTime(91 * 60_000);
    expect((await call('POST', path, { msgtype: 'text', text: { content: 'x' } })).body.sub_code).toBe('session.expired');
  });
});

describe('faults and the call record', () => {
  it('throttles the given number of calls, then recovers', async () => {
    sim.faults.set({ throttle: { times: 1, style: 'old' } });
    expect((await send()).body).toMatchObject({ errcode: 90018 });
    expect((await send()).status).toBe(200);
  });

  it('enforces a per-app-per-API rate limit', async () => {
    sim.faults.set({ rateLimitPerSecond: 3 });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await send()).status);
    expect(statuses).toEqual([200, 200, 200, 403, 403]);
    expect((await api('POST', '/v1.0/robot/groupMessages/send', { robotCode: APP.clientId, openConversationId: 'c', msgKey: 'sampleText', msgParam: text('x') })).status).toBe(200);
  });

  it('lists calls newest last, over HTTP too, without tokens or secrets', async () => {
    await send({ userIds: ['first'] });
    await call('POST', '/v1.0/oauth2/accessToken', { appKey: APP.clientId, appSecret: APP.clientSecret });
    await call('POST', `/topapi/v2/department/listsub?access_token=${token}`, { dept_id: 1 });
    const listed = (await call('GET', '/_simulator/calls')).body as any[];
    expect(listed.map((c) => c.path)).toEqual(['/v1.0/robot/oToMessages/batchSend', '/v1.0/oauth2/accessToken', '/topapi/v2/department/listsub']);
    expect(listed).toEqual(sim.calls());
    const dump = JSON.stringify(listed);
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(APP.clientSecret);
    expect(listed[0]).toMatchObject({ method: 'POST', status: 200, clientId: APP.clientId, body: { userIds: ['first'] } });
    expect((await call('GET', '/_simulator/messages')).body).toHaveLength(1);
  });

  it('lets another component mount a route on the same server', async () => {
    sim.route('POST', '/v1.0/extension/probe', (req) => {
      const body = req.body as { clientId?: string; clientSecret?: string };
      return sim.apps.validate(body.clientId, body.clientSecret) ? { body: { endpoint: 'ws://x', ticket: 't' } } : { status: 401, body: { code: 'Unauthorized' } };
    });
    expect((await call('POST', '/v1.0/extension/probe', { clientId: APP.clientId, clientSecret: APP.clientSecret })).body.ticket).toBe('t');
    expect((await call('POST', '/v1.0/extension/probe', { clientId: APP.clientId, clientSecret: 'x' })).status).toBe(401);
    expect(sim.calls({ path: '/v1.0/extension/probe' })).toHaveLength(2);
  });
});
