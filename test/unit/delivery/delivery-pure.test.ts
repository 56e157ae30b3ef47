import { joinDelayMs, memberShare, shareNow } from '../../../src/delivery/app-budget';
import { chooseRoute, sessionWebhookDecision, WEBHOOK_EXPIRY_MARGIN_MS } from '../../../src/delivery/route.policy';
import { StreamPacer } from '../../../src/delivery/stream-pacer';
import { toWebhookBody } from '../../../src/delivery/outgoing-message';
import { isCardAlreadyExists } from '../../../src/delivery/card-delivery';
import { DingTalkApiError } from '../../../src/dingtalk/api-error';
import { RollingWindowRateLimiter } from '../../../src/dingtalk/rate-limiter';
import { UpdateThrottle } from '../../../src/reply/update-throttle';

const HOSTS = { apiBaseUrl: 'https://api.dingtalk.com', oapiBaseUrl: 'https://oapi.dingtalk.com' };
const WEBHOOK = 'https://oapi.dingtalk.com/robot/sendBySession?session=s1';

describe('route choice (one margin for every sender)', () => {
  it('uses the webhook while it is valid, preferred or the only way; else the OpenAPI; else none', () => {
    const now = 1_000_000;
    const usable = sessionWebhookDecision({ sessionWebhook: WEBHOOK, sessionWebhookExpiresAt: now + WEBHOOK_EXPIRY_MARGIN_MS + 1 }, { now, hosts: HOSTS });
    const closeToExpiry = sessionWebhookDecision({ sessionWebhook: WEBHOOK, sessionWebhookExpiresAt: now + WEBHOOK_EXPIRY_MARGIN_MS }, { now, hosts: HOSTS });
    expect([usable, closeToExpiry]).toEqual(['usable', 'expired']);
    expect(chooseRoute('usable', { preferWebhook: true, hasOpenApiAddress: true })).toBe('webhook');
    expect(chooseRoute('usable', { preferWebhook: false, hasOpenApiAddress: true })).toBe('openapi');
    expect(chooseRoute('usable', { preferWebhook: false, hasOpenApiAddress: false })).toBe('webhook');
    expect(chooseRoute('expired', { preferWebhook: true, hasOpenApiAddress: false })).toBe('none');
    expect(chooseRoute('foreign_host', { preferWebhook: true, hasOpenApiAddress: true })).toBe('openapi');
  });

  it('@-mentions in the text and the at list, once per id', () => {
    expect(toWebhookBody({ kind: 'text', text: 'hi @u1', atUserIds: ['u1', 'u2'] }, 'u2')).toEqual({ msgtype: 'text', text: { content: 'hi @u1 @u2' }, at: { atUserIds: ['u1', 'u2'] } });
    expect(toWebhookBody({ kind: 'markdown', title: 't', text: 'x' }, 'u3')).toMatchObject({ markdown: { text: 'x\n\n@u3' }, at: { atUserIds: ['u3'] } });
  });
});

describe('card adoption', () => {
  const apiError = (platformCode: string) => new DingTalkApiError({ code: 'dingtalk_api_error', message: 'm', platformCode, httpStatus: 400, retryable: false, path: '/v1.0/card/instances/createAndDeliver' });
  it("recognises DingTalk's documented param.cardAlreadyExist and the older outTrackId wording, nothing else", () => {
    expect(isCardAlreadyExists(apiError('param.cardAlreadyExist'))).toBe(true);
    expect(isCardAlreadyExists(apiError('invalidParameter.outTrackId.duplicate'))).toBe(true);
    expect(isCardAlreadyExists(apiError('param.openSpaceModelInvalid'))).toBe(false);
    expect(isCardAlreadyExists(new Error('param.cardAlreadyExist'))).toBe(false);
  });
});

describe('app budget shares', () => {
  const timing = { heartbeatMs: 1000, permitHoldMs: 1050 };
  it('splits the limit between live members; a newcomer that found others waits the join delay', () => {
    expect([memberShare(20, 1), memberShare(20, 2), memberShare(20, 3), memberShare(20, 0)]).toEqual([20, 10, 6, 20]);
    const waitUntil = 5000 + joinDelayMs(timing);
    expect(shareNow({ limit: 20, members: 2, waitUntil, now: waitUntil - 1 })).toBe(0);
    expect(shareNow({ limit: 20, members: 2, waitUntil, now: waitUntil })).toBe(10);
    expect(shareNow({ limit: 20, members: 1, now: 0 })).toBe(20);
  });

  it('limiter: a cut holds new calls until enough permits came back; a raise lets waiters start at once', async () => {
    const holds: Array<() => void> = [];
    const limiter = new RollingWindowRateLimiter({ perSecond: 2, sleep: () => new Promise<void>((done) => holds.push(done)) });
    const first = await limiter.acquire('p');
    const second = await limiter.acquire('p');
    limiter.setPerSecond(1);
    first();
    holds.shift()!();
    await Promise.resolve();
    let third = false;
    const waiting = limiter.acquire('p').then((release) => ((third = true), release));
    await new Promise((r) => setImmediate(r));
    expect(third).toBe(false); // one permit back, but the cut limit of 1 is still held by `second`
    limiter.setPerSecond(3);
    await waiting;
    expect(third).toBe(true);
    expect(limiter.perSecond).toBe(3);
    second();
  });

  it('limiter at 0 holds every call until a share is given', async () => {
    const limiter = new RollingWindowRateLimiter({ perSecond: 20, sleep: async () => undefined });
    limiter.setPerSecond(0);
    let started = false;
    const call = limiter.acquire('p').then(() => (started = true));
    await new Promise((r) => setImmediate(r));
    expect(started).toBe(false);
    limiter.setPerSecond(10);
    await call;
    expect(started).toBe(true);
  });
});

describe('streaming fair share', () => {
  it('spaces each answer’s updates by the number of answers streaming over the share', () => {
    let share = 10;
    const pacer = new StreamPacer(() => share);
    expect(pacer.intervalMs(800, 0)).toBe(800);
    for (let i = 0; i < 70; i++) pacer.touch(`a${i}`, 0);
    expect(pacer.intervalMs(800, 0)).toBe(10_000); // 70 answers over 7 calls/s
    share = 20;
    expect(pacer.intervalMs(800, 0)).toBe(5_000);
    pacer.touch('late', 40_000); // the others went quiet long ago
    expect(pacer.intervalMs(800, 40_000)).toBe(800);
  });

  it('an answer waits for the larger of its own interval and its fair share', () => {
    let floor = 0;
    const throttle = new UpdateThrottle(800, 10_000, () => floor);
    throttle.updated(0);
    expect(throttle.waitMs(0)).toBe(800);
    floor = 5_000;
    expect(throttle.waitMs(1_000)).toBe(4_000);
  });
});
