import { createHmac } from 'node:crypto';
import { cardCallbackRouteKey } from '../../../src/dingtalk/card-route-key';
import { HTTP_APP } from '../../support/plugin-host';
import { waitFor } from '../../support/wait-for';
import { settled, startSecurityStack, type SecurityStack } from './security-stack';

/**
 * Door: card callbacks over HTTP. DingTalk signs a card callback only when the route it is sent
 * through was registered with an apiSecret, so the plugin registers its own route per integration
 * and refuses every callback not signed with that secret (there is no unsigned mode).
 */
let stack: SecurityStack;

beforeAll(async () => {
  stack = await startSecurityStack();
});

afterAll(async () => {
  await stack?.close();
});

const unsigned = (outTrackId: string, userId: string, params: Record<string, unknown>) => ({
  type: 'actionCallback',
  outTrackId,
  corpId: 'dingsimcorp0001',
  userId,
  content: JSON.stringify({ cardPrivateData: { actionIds: ['end'], params } }),
});

async function post(body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(stack.http.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json().catch(() => undefined) };
}

const robotSends = () => stack.simulator.calls({ path: /\/v1\.0\/robot\// }).length;

describe('card callbacks over HTTP are always authenticated', () => {
  it('refuses 200 unsigned callbacks that would end a victim’s session: 401, no row, no call, the session live', async () => {
    const victim = await stack.seedSession({ senderId: 'victim' });
    const endLink = stack.link(victim);
    const before = await stack.rows();
    stack.simulator.clearCalls();
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => post({ ...unsigned(`forged-${i}`, 'victim', { actionUrl: endLink }), eventId: `forged-${i}` })),
    );
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([401]));
    expect((answers[0].body as any).code).toBe('dingtalk_signature_invalid');
    expect(await stack.rows()).toEqual(before);
    expect(stack.simulator.calls()).toHaveLength(0);
    expect((await stack.binding(victim.sessionKey))?.endedAt).toBeNull();
  });

  it('Test registers the integration’s route with a generated apiSecret and says so', async () => {
    const { status, body } = await stack.test(stack.http.id, { ...HTTP_APP, mode: 'http' });
    expect(status).toBe(200);
    const routeKey = cardCallbackRouteKey(stack.http.id);
    expect(body.checks.cardCallback).toEqual({ routeKey, callbackUrl: stack.http.webhookUrl, secret: 'generated' });
    const registered = stack.simulator.cardCallbacks.get(HTTP_APP.clientId, routeKey);
    const [stored]: any[] = await stack.db.query('SELECT api_secret FROM plugin_dingtalk_card_route WHERE integration_id = $1', [stack.http.id]);
    expect(registered).toEqual({ clientId: HTTP_APP.clientId, callbackRouteKey: routeKey, callbackUrl: stack.http.webhookUrl, apiSecret: stored.api_secret });
    expect(JSON.stringify(body)).not.toContain(stored.api_secret);
    // Idempotent: a second Test keeps the same secret.
    await stack.test(stack.http.id, { ...HTTP_APP, mode: 'http' });
    expect(stack.simulator.cardCallbacks.get(HTTP_APP.clientId, routeKey)?.apiSecret).toBe(stored.api_secret);
  });

  it('still refuses unsigned, forged and stale callbacks once the route is registered', async () => {
    const victim = await stack.seedSession({ senderId: 'victim2' });
    const body = unsigned('card-x', 'victim2', { actionUrl: stack.link(victim) });
    const [stored]: any[] = await stack.db.query('SELECT api_secret FROM plugin_dingtalk_card_route WHERE integration_id = $1', [stack.http.id]);
    const stale = String(Date.now() - 2 * 3_600_000);
    const before = await stack.rows();
    expect((await post(body)).status).toBe(401);
    expect((await post(body, { 'x-ddpaas-signature-timestamp': String(Date.now()), 'x-ddpaas-signature': 'Zm9yZ2Vk' })).status).toBe(401);
    const staleSig = createHmac('sha256', stored.api_secret).update(stale).digest('base64');
    expect((await post(body, { 'x-ddpaas-signature-timestamp': stale, 'x-ddpaas-signature': staleSig })).status).toBe(401);
    expect(await stack.rows()).toEqual(before);
    expect((await stack.binding(victim.sessionKey))?.endedAt).toBeNull();
  });

  it('a click on a card naming the registered route arrives signed; one with an unregistered key reaches nobody', async () => {
    const routed = await stack.createCard({ callbackRouteKey: cardCallbackRouteKey(stack.http.id) });
    const before = await stack.rows();
    const click = await stack.simulator.cardCallbacks.click({ outTrackId: routed, userId: 'someone', params: { note: 'no action' } });
    expect(click).toMatchObject({ delivered: true, via: 'http', status: 200 });
    expect((await stack.rows()).inbox).toBe(before.inbox + 1);

    const stray = await stack.createCard({ callbackRouteKey: 'someone_elses_route' });
    const after = await stack.rows();
    expect(await stack.simulator.cardCallbacks.click({ outTrackId: stray, userId: 'someone', params: {} })).toEqual({ delivered: false, reason: 'route_unregistered' });
    expect(await stack.rows()).toEqual(after);
    await settled(stack);
  });

  it('the End button acts only for the session’s owner, once, however often it is clicked', async () => {
    const owner = await stack.seedSession({ senderId: 'owner1' });
    const card = await stack.createCard({ callbackRouteKey: cardCallbackRouteKey(stack.http.id) });
    const params = { actionUrl: stack.link(owner) };
    stack.simulator.clearCalls();

    await stack.simulator.cardCallbacks.click({ outTrackId: card, userId: 'mallory', params });
    await settled(stack);
    expect((await stack.binding(owner.sessionKey))?.endedAt).toBeNull();
    expect(robotSends()).toBe(0);

    await stack.simulator.cardCallbacks.click({ outTrackId: card, userId: 'owner1', params });
    await settled(stack);
    expect((await stack.binding(owner.sessionKey))?.endedAt).not.toBeNull();
    expect(robotSends()).toBe(1);

    // A later click (another actionId: not a redelivery) finds the link used.
    const before = await stack.rows();
    await stack.simulator.cardCallbacks.click({ outTrackId: card, userId: 'owner1', params, actionId: 'again' });
    await settled(stack);
    expect(robotSends()).toBe(1);
    const after = await stack.rows();
    expect(after.action_use).toBe(before.action_use);
    expect(after.handoff - before.handoff).toBeLessThanOrEqual(1);
  });
});

describe('registration at boot', () => {
  it('with a public base URL, every HTTP-mode integration registers its route when the plugin starts', async () => {
    const booted = await startSecurityStack({ pluginConfig: { publicBaseUrl: 'https://xpert.example.com', worker: { enabled: false } } });
    try {
      const routeKey = cardCallbackRouteKey(booted.http.id);
      await waitFor(() => booted.simulator.cardCallbacks.get(HTTP_APP.clientId, routeKey) !== undefined, 'the card route registered at boot');
      expect(booted.simulator.cardCallbacks.get(HTTP_APP.clientId, routeKey)).toMatchObject({ callbackUrl: `https://xpert.example.com/api/dingtalk/webhook/${booted.http.id}`, apiSecret: expect.any(String) });
    } finally {
      await booted.close();
    }
  });
});

