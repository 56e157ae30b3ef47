import { DingTalkApiError, DingTalkClient, isAllowedSessionWebhook, type DingTalkClientOptions } from '../../../src/dingtalk/client';
import { normalizeResponse } from '../../../src/dingtalk/api-error-normalizer';
import { RollingWindowRateLimiter } from '../../../src/dingtalk/rate-limiter';
import { createSimulator, type DingTalkSimulator } from '../../../sandbox/simulator';

// Real HTTP against the local DingTalk simulator. Retries are made fast by a tiny backoff base;
// where the delays matter, `sleep` is a spy and `random` is fixed.

const APP = { clientId: 'dingsimclient', clientSecret: 'sim-secret-1' };
const TOKEN_PATH = '/v1.0/oauth2/accessToken';
const BATCH_SEND = '/v1.0/robot/oToMessages/batchSend';
const TEXT = { msgKey: 'sampleText', msgParam: { content: 'hello' } };

let sim: DingTalkSimulator;

function makeClient(extra: Partial<DingTalkClientOptions> = {}): DingTalkClient {
  return new DingTalkClient({
    ...APP,
    apiBaseUrl: sim.baseUrl,
    oapiBaseUrl: sim.baseUrl,
    timeoutMs: 2000,
    retryBaseMs: 1,
    retryMaxMs: 5,
    rateLimit: { perSecond: 0 },
    ...extra,
  });
}

async function rejection(promise: Promise<unknown>): Promise<DingTalkApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DingTalkApiError);
  return error as DingTalkApiError;
}

/** Waits until every recorded call was answered (injected latency outlives client timeouts). */
async function settled(): Promise<void> {
  for (let i = 0; i < 200 && sim.calls().some((c) => c.status === undefined); i++) await new Promise((r) => setTimeout(r, 20));
}

beforeAll(async () => {
  sim = await createSimulator();
  sim.apps.register(APP);
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  sim.faults.clear();
  sim.clearCalls();
  sim.clearMessages();
  sim.directory.clear();
  sim.setTokenTtl(7200);
});

describe('access token', () => {
  it('fetches one token for 100 concurrent sends', async () => {
    const client = makeClient();
    await Promise.all(Array.from({ length: 100 }, (_, i) => client.sendToUsers({ userIds: [`u${i}`], ...TEXT })));
    expect(sim.calls({ path: TOKEN_PATH })).toHaveLength(1);
    expect(sim.calls({ path: BATCH_SEND }).map((c) => c.status)).toEqual(Array(100).fill(200));
    expect(sim.calls({ path: BATCH_SEND })[0].headers['x-acs-dingtalk-access-token']).toBeUndefined(); // recorder hides it
  });

  it('fetches a new token after expiry (client and DingTalk clocks both advanced)', async () => {
    let now = 1_700_000_000_000;
    const client = makeClient({ now: () => now });
    const first = await client.getAccessToken();
    await client.sendToUsers({ userIds: ['u1'], ...TEXT });
    now += 7201_000;
    sim.advanceTime(7201_000);
    await client.sendToUsers({ userIds: ['u1'], ...TEXT });
    const second = await client.getAccessToken();
    expect(second).not.toEqual(first);
    expect(sim.calls({ path: TOKEN_PATH })).toHaveLength(2);
    expect(sim.calls({ path: BATCH_SEND }).map((c) => c.status)).toEqual([200, 200]);
  });

  it('refreshes ten minutes before expiry and gets the same, extended token', async () => {
    let now = 1_700_000_000_000;
    const client = makeClient({ now: () => now });
    const first = await client.getAccessToken();
    now += (7200 - 9 * 60) * 1000;
    expect(await client.getAccessToken()).toEqual(first);
    expect(sim.calls({ path: TOKEN_PATH })).toHaveLength(2);
    now += 60_000;
    await client.getAccessToken();
    expect(sim.calls({ path: TOKEN_PATH })).toHaveLength(2);
  });

  it('drops a token DingTalk rejects and retries once with a fresh one (new family, 401)', async () => {
    const client = makeClient({ now: () => 1_700_000_000_000 });
    await client.sendToUsers({ userIds: ['u1'], ...TEXT });
    sim.advanceTime(7201_000); // only DingTalk's clock: the client still trusts its token
    await client.sendToUsers({ userIds: ['u2'], ...TEXT });
    expect(sim.calls().map((c) => `${c.path} ${c.status}`)).toEqual([
      `${TOKEN_PATH} 200`,
      `${BATCH_SEND} 200`,
      `${BATCH_SEND} 401`,
      `${TOKEN_PATH} 200`,
      `${BATCH_SEND} 200`,
    ]);
  });

  it('drops a token DingTalk rejects on the old family too (errcode 42001)', async () => {
    const client = makeClient({ now: () => 1_700_000_000_000 });
    await client.getAccessToken();
    sim.advanceTime(7201_000);
    await expect(client.listSubDepartments()).resolves.toEqual([]);
    expect(sim.calls({ path: '/topapi/v2/department/listsub' }).map((c) => c.errorCode)).toEqual(['42001', undefined]);
    expect(sim.calls({ path: TOKEN_PATH })).toHaveLength(2);
  });

  it('reports bad credentials as dingtalk_credentials_invalid without retrying', async () => {
    const client = makeClient({ clientSecret: 'wrong' });
    const error = await rejection(client.getAccessToken());
    expect(error.code).toBe('dingtalk_credentials_invalid');
    expect(error.platformCode).toBe('invalidClientIdOrSecret');
    expect(error.retryable).toBe(false);
    await rejection(client.sendToUsers({ userIds: ['u1'], ...TEXT }));
    expect(sim.calls({ path: TOKEN_PATH })).toHaveLength(2);
    expect(sim.calls({ path: BATCH_SEND })).toHaveLength(0);
  });
});

describe('retries', () => {
  it.each(['new', 'old'] as const)('retries throttling (%s style) with jittered exponential backoff', async (style) => {
    const sleeps: number[] = [];
    const client = makeClient({ retryBaseMs: 100, retryMaxMs: 1000, random: () => 0.5, sleep: async (ms) => void sleeps.push(ms) });
    await client.getAccessToken();
    sim.faults.set({ throttle: { path: BATCH_SEND, times: 2, style } });
    const result = await client.sendToUsers({ userIds: ['u1'], ...TEXT });
    expect(result.processQueryKey).toBeTruthy();
    const codes = sim.calls({ path: BATCH_SEND }).map((c) => c.errorCode);
    expect(codes).toEqual(style === 'new' ? ['Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', undefined] : ['90018', '90018', undefined]);
    expect(sleeps).toEqual([50, 100]); // 0.5 × min(1000, 100·2ⁿ)
    expect(sim.messages()).toHaveLength(1);
  });

  it('does not retry a 400 validation error', async () => {
    const client = makeClient();
    const error = await rejection(client.sendToGroup({ openConversationId: 'cidG1', msgKey: 'noSuchKey', msgParam: {} }));
    expect(error.code).toBe('dingtalk_api_error');
    expect(error.platformCode).toBe('invalidParameter.msgKey.invalid');
    expect(error.httpStatus).toBe(400);
    expect(error.retryable).toBe(false);
    expect(error.requestId).toBeTruthy();
    expect(sim.calls({ path: '/v1.0/robot/groupMessages/send' })).toHaveLength(1);
  });

  it('retries 5xx and then succeeds', async () => {
    const client = makeClient();
    await client.getAccessToken();
    sim.faults.set({ serverError: { times: 2 } });
    await client.sendToGroup({ openConversationId: 'cidG1', ...TEXT });
    expect(sim.calls({ path: '/v1.0/robot/groupMessages/send' }).map((c) => c.status)).toEqual([500, 500, 200]);
  });

  it('gives up after maxRetries with a retryable error', async () => {
    const client = makeClient({ maxRetries: 3 });
    await client.getAccessToken();
    sim.faults.set({ serverError: { times: 100 } });
    const error = await rejection(client.sendToGroup({ openConversationId: 'cidG1', ...TEXT }));
    expect(error.code).toBe('dingtalk_api_unavailable');
    expect(error.retryable).toBe(true);
    expect(error.httpStatus).toBe(500);
    expect(sim.calls({ path: '/v1.0/robot/groupMessages/send' })).toHaveLength(4);
  });

  it('retries a timeout and reports dingtalk_timeout when every attempt times out', async () => {
    const client = makeClient({ timeoutMs: 100, maxRetries: 2 });
    await client.getAccessToken();
    sim.faults.set({ latencyMs: 400, latencyPath: BATCH_SEND });
    const error = await rejection(client.sendToUsers({ userIds: ['u1'], ...TEXT }));
    expect(error.code).toBe('dingtalk_timeout');
    expect(error.retryable).toBe(true);
    expect(sim.calls({ path: BATCH_SEND })).toHaveLength(3);
    await settled();
  });
});

describe('permissions', () => {
  it('names the missing scope of an old-family API (errcode 88 / 60011) and does not retry', async () => {
    sim.apps.register({ clientId: 'dingnoscope', clientSecret: 's2', scopes: ['qyapi_robot_sendmsg'] });
    const client = makeClient({ clientId: 'dingnoscope', clientSecret: 's2' });
    const error = await rejection(client.listSubDepartments(1));
    expect(error.code).toBe('dingtalk_permission_missing');
    expect(error.platformCode).toBe('88');
    expect(error.subCode).toBe('60011');
    expect(error.requiredScopes).toEqual(['qyapi_get_department_list']);
    expect(error.message).toContain('qyapi_get_department_list');
    expect(error.message).toContain('权限管理');
    expect(error.retryable).toBe(false);
    expect(sim.calls({ path: '/topapi/v2/department/listsub' })).toHaveLength(1);
  });

  it('reads accessdenieddetail.requiredScopes of a new-family 403 and does not retry', async () => {
    const client = makeClient();
    sim.faults.set({ missingScope: { path: BATCH_SEND, scope: 'qyapi_robot_sendmsg' } });
    const error = await rejection(client.sendToUsers({ userIds: ['u1'], ...TEXT }));
    expect(error.code).toBe('dingtalk_permission_missing');
    expect(error.platformCode).toBe('Forbidden.AccessDenied.AccessTokenPermissionDenied');
    expect(error.httpStatus).toBe(403);
    expect(error.requiredScopes).toEqual(['qyapi_robot_sendmsg']);
    expect(error.message).toContain('qyapi_robot_sendmsg');
    expect(error.toJSON()).toMatchObject({ code: 'dingtalk_permission_missing', details: { requiredScopes: ['qyapi_robot_sendmsg'] } });
    expect(sim.calls({ path: BATCH_SEND })).toHaveLength(1);
  });
});

describe('rate limit and batching', () => {
  it('sends a burst of 100 through a 20/s DingTalk limit without a throttle reaching the caller', async () => {
    sim.faults.set({ rateLimitPerSecond: 20 });
    // No retries: a throttle would reach the caller, so success proves the limiter held the burst back.
    const client = makeClient({ rateLimit: { perSecond: 20 }, maxRetries: 0 });
    const userIds = Array.from({ length: 100 }, (_, i) => `burst${i}`);
    const results = await Promise.allSettled(userIds.map((id) => client.sendToUsers({ userIds: [id], ...TEXT })));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const targets = sim.messages().map((m) => m.target.id);
    expect(targets).toHaveLength(100);
    expect(new Set(targets)).toEqual(new Set(userIds));
  });

  it('limiter: a permit comes back one window after the call finished, first come first served', async () => {
    const holds: Array<{ ms: number; done: () => void }> = [];
    const limiter = new RollingWindowRateLimiter({ perSecond: 2, sleep: (ms) => new Promise<void>((done) => holds.push({ ms, done })) });
    const order: string[] = [];
    const releaseA = await limiter.acquire('p');
    const releaseB = await limiter.acquire('p');
    const c = limiter.acquire('p').then((r) => (order.push('c'), r));
    const d = limiter.acquire('p').then((r) => (order.push('d'), r));
    const other = await limiter.acquire('other'); // keys are independent
    other();
    releaseA();
    releaseA(); // idempotent
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]); // finishing is not enough: the window must pass
    expect(holds.map((h) => h.ms)).toEqual([1050, 1050]);
    holds[1].done(); // A's window over
    await c;
    expect(order).toEqual(['c']);
    releaseB();
    holds[2].done();
    await d;
    expect(order).toEqual(['c', 'd']);
  });

  it('splits more than 20 userIds into batches of 20', async () => {
    const client = makeClient();
    const userIds = Array.from({ length: 45 }, (_, i) => `user${i}`);
    const result = await client.sendToUsers({ userIds, ...TEXT });
    const sizes = sim.calls({ path: BATCH_SEND }).map((c) => (c.body as { userIds: string[] }).userIds.length);
    expect(sizes).toEqual([20, 20, 5]);
    expect(result.processQueryKeys).toHaveLength(3);
    expect(result.processQueryKey).toBe(result.processQueryKeys[0]);
    expect(sim.messages().map((m) => m.target.id)).toEqual(userIds);
  });

  it('reports users DingTalk does not know in invalidStaffIdList', async () => {
    sim.directory.addUser({ userid: 'known', name: 'Known' });
    const result = await makeClient().sendToUsers({ userIds: ['known', 'ghost'], ...TEXT });
    expect(result.invalidStaffIdList).toEqual(['ghost']);
  });
});

describe('typed API methods', () => {
  it('recalls 1:1 and group messages', async () => {
    const client = makeClient();
    const oto = await client.sendToUsers({ userIds: ['u1'], ...TEXT });
    const group = await client.sendToGroup({ openConversationId: 'cidG1', ...TEXT });
    expect(await client.recallUserMessages([oto.processQueryKey, 'nope'])).toEqual({ successResult: [oto.processQueryKey], failedResult: { nope: 'invalid.processQueryKey' } });
    expect(await client.recallGroupMessages('cidG1', [group.processQueryKey])).toEqual({ successResult: [group.processQueryKey], failedResult: {} });
    expect(sim.messages().map((m) => m.status)).toEqual(['recalled', 'recalled']);
  });

  it('creates, updates and streams a card', async () => {
    const client = makeClient();
    const created = await client.createAndDeliverCard({
      cardTemplateId: 'tpl.schema',
      outTrackId: 'card-1',
      cardData: { cardParamMap: { title: 'Answer', content: '' } },
      callbackType: 'STREAM',
      openSpaceId: 'dtv1.card//IM_GROUP.cidG1',
      imGroupOpenDeliverModel: {},
      imGroupOpenSpaceModel: { supportForward: true },
    });
    expect(created.outTrackId).toBe('card-1');
    expect(created.deliverResults[0]).toMatchObject({ spaceType: 'IM_GROUP', spaceId: 'cidG1', success: true });
    expect((sim.calls({ path: '/v1.0/card/instances/createAndDeliver' })[0].body as any).imGroupOpenDeliverModel.robotCode).toBe(APP.clientId);
    await client.streamCard({ outTrackId: 'card-1', guid: 'g1', key: 'content', content: 'Hel', isFull: false, isFinalize: false, isError: false });
    await client.streamCard({ outTrackId: 'card-1', guid: 'g2', key: 'content', content: 'lo', isFull: false, isFinalize: true, isError: false });
    await client.updateCard({ outTrackId: 'card-1', cardData: { cardParamMap: { title: 'Done' } }, cardUpdateOptions: { updateCardDataByKey: true } });
    const [card] = sim.messages();
    expect(card.status).toBe('updated');
    expect(card.content).toMatchObject({ cardParamMap: { title: 'Done', content: 'Hello' }, stream: { finalized: true } });
    expect(card.history.map((h) => h.event)).toEqual(['sent', 'streamed', 'streamed', 'updated']);
    const missing = await rejection(client.updateCard({ outTrackId: 'nope', cardData: { cardParamMap: {} } }));
    expect(missing.platformCode).toBe('resource.not.found');
  });

  it('pages department users with a cursor', async () => {
    for (let i = 0; i < 5; i++) sim.directory.addUser({ userid: `p${i}`, name: `Person ${i}` });
    const client = makeClient();
    const first = await client.listDepartmentUsers({ deptId: 1, size: 2 });
    expect(first).toMatchObject({ hasMore: true, nextCursor: 2 });
    expect(first.list.map((u) => u.userid)).toEqual(['p0', 'p1']);
    const last = await client.listDepartmentUsers({ deptId: 1, cursor: 4, size: 2 });
    expect(last.hasMore).toBe(false);
    expect(last.list.map((u) => u.userid)).toEqual(['p4']);
    expect(sim.calls({ path: '/topapi/v2/user/list' })[0].query.access_token).toBeUndefined();
    const error = await rejection(client.listDepartmentUsers({ deptId: 999 }));
    expect(error).toMatchObject({ code: 'dingtalk_api_error', platformCode: '60003', retryable: false });
  });

  it('lists sub-departments', async () => {
    sim.directory.addDepartment({ dept_id: 2, name: 'R&D' });
    expect(await makeClient().listSubDepartments(1)).toEqual([expect.objectContaining({ dept_id: 2, name: 'R&D', parent_id: 1 })]);
  });

  it('gets a download URL for a received file', async () => {
    const code = sim.files.add({ bytes: 'file-bytes', fileName: 'a.txt', contentType: 'text/plain' });
    const { downloadUrl } = await makeClient().getMessageFileDownloadUrl(code);
    expect(await (await fetch(downloadUrl)).text()).toBe('file-bytes');
  });

  it('posts to a session webhook without a token and surfaces an expired session', async () => {
    const client = makeClient();
    const session = sim.sessions.create({ clientId: APP.clientId, robotCode: APP.clientId, conversationId: 'cidG9', conversationType: '2', senderStaffId: 'u1' });
    await client.postToSessionWebhook(session.url, { msgtype: 'markdown', markdown: { title: 't', text: '**hi**' } });
    expect(sim.messages()).toEqual([expect.objectContaining({ kind: 'webhook', target: { type: 'group', id: 'cidG9' }, msgKey: 'markdown' })]);
    expect(sim.calls({ path: TOKEN_PATH })).toHaveLength(0);
    sim.advanceTime(91 * 60 * 1000);
    const error = await rejection(client.postToSessionWebhook(session.url, { msgtype: 'text', text: { content: 'late' } }));
    expect(error).toMatchObject({ code: 'dingtalk_api_error', subCode: 'session.expired', retryable: false });
  });
});

describe('isAllowedSessionWebhook', () => {
  const hosts = { oapiBaseUrl: 'https://oapi.dingtalk.com', apiBaseUrl: 'https://api.dingtalk.com' };
  it.each([
    ['https://oapi.dingtalk.com/robot/sendBySession?session=abc', true],
    ['https://OAPI.dingtalk.com:443/robot/sendBySession?session=abc', true],
    ['https://api.dingtalk.com/robot/sendBySession?session=abc', true],
    ['https://evil.com/robot/sendBySession?session=abc', false],
    ['http://oapi.dingtalk.com/robot/sendBySession?session=abc', false],
    ['https://oapi.dingtalk.com@evil.com/robot/sendBySession', false],
    ['https://user:pw@oapi.dingtalk.com/robot/sendBySession', false],
    ['https://oapi.dingtalk.com:8443/robot/sendBySession', false],
    ['https://oapi.dingtalk.com.evil.com/robot/sendBySession', false],
    ['javascript:alert(1)', false],
    ['not a url', false],
  ])('%s → %s', (url, allowed) => {
    expect(isAllowedSessionWebhook(url, hosts)).toBe(allowed);
  });

  it('accepts the configured simulator origin, port included', () => {
    expect(isAllowedSessionWebhook(`${sim.baseUrl}/robot/sendBySession?session=x`, { oapiBaseUrl: sim.baseUrl, apiBaseUrl: sim.baseUrl })).toBe(true);
    expect(isAllowedSessionWebhook(`http://127.0.0.1:1/robot/sendBySession`, { oapiBaseUrl: sim.baseUrl, apiBaseUrl: sim.baseUrl })).toBe(false);
  });
});

describe('error normalisation (pure)', () => {
  it('parses scopes from the errmsg text and the apply URL', () => {
    const error = normalizeResponse(200, {
      errcode: 88,
      sub_code: '60011',
      errmsg: 'ding talk error[subcode=60011,submsg=应用尚未开通所需的权限：[qyapi_get_department_list]，点击链接申请并开通即可：https://open-dev.dingtalk.com/appscope/apply?content=x%23qyapi_get_department_member, {requiredScopes=[qyapi_get_department_list]}]',
      request_id: 'r1',
    });
    expect(error).toMatchObject({ code: 'dingtalk_permission_missing', requestId: 'r1', requiredScopes: ['qyapi_get_department_list', 'qyapi_get_department_member'] });
  });

  it.each([
    [429, { code: 'system.busy', message: 'busy' }, 'dingtalk_api_throttled', true],
    [200, { errcode: 90002, errmsg: 'global qps' }, 'dingtalk_api_throttled', true],
    [200, { errcode: -1, errmsg: '系统繁忙' }, 'dingtalk_api_throttled', true],
    [403, { code: 'Forbidden.AccessDenied.QpmLimitForAppkeyAndApi', message: 'qpm' }, 'dingtalk_api_throttled', true],
    [200, { status: 1111, wait: 5, punish: 'deny' }, 'dingtalk_api_throttled', true],
    [200, { errcode: 90020, errmsg: 'monthly quota' }, 'dingtalk_api_throttled', false],
    [200, { errcode: 40014, errmsg: '不合法的access_token' }, 'dingtalk_token_invalid', false],
    [200, { errcode: 40001, errmsg: 'invalid access_token' }, 'dingtalk_token_invalid', false],
    [200, { errcode: 60020, errmsg: 'ip' }, 'dingtalk_ip_not_allowed', false],
    [504, '<html>gateway timeout</html>', 'dingtalk_timeout', true],
    [502, '<html>bad gateway</html>', 'dingtalk_api_unavailable', true],
    [200, { errcode: 40035, errmsg: '不合法的参数' }, 'dingtalk_api_error', false],
  ])('HTTP %s %j → %s (retryable %s)', (status, body, code, retryable) => {
    expect(normalizeResponse(status, body)).toMatchObject({ code, retryable });
  });

  it('treats 2xx without errcode and errcode 0 as success', () => {
    expect(normalizeResponse(200, { processQueryKey: 'k' })).toBeNull();
    expect(normalizeResponse(200, { errcode: 0, errmsg: 'ok' })).toBeNull();
  });
});
