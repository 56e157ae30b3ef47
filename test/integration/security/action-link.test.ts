import { cardCallbackRouteKey } from '../../../src/dingtalk/card-route-key';
import { HTTP_APP } from '../../support/plugin-host';
import { settled, startSecurityStack, type SecurityStack, type Session } from './security-stack';

/**
 * Door: signed action links (End conversation, Confirm / Reject). The link is the credential, so
 * it must act only on its own integration's session, only on the conversation it was issued for,
 * only once, never on a GET, and in a group Confirm / Reject count only as the asker's click.
 */
const OTHER_APP = { clientId: 'dingothersecurityapp', clientSecret: 'other-app-secret-0123456789', robotCode: 'dingothersecurityapp', callbackToken: 'otherToken', callbackAesKey: 'OtherDingTalkTestAesKey0123456789abcdefghik' };
let stack: SecurityStack;
let otherId: string;

beforeAll(async () => {
  stack = await startSecurityStack({ httpOptions: { preferredLanguage: 'en' } });
  stack.simulator.apps.register(OTHER_APP);
  otherId = await stack.host.addIntegration({ options: { ...OTHER_APP, mode: 'http' } });
});

afterAll(async () => {
  await stack?.close();
});

const get = (url: string) => fetch(url).then(async (r) => ({ status: r.status, text: await r.text() }));
const post = (url: string) => fetch(url, { method: 'POST' }).then(async (r) => ({ status: r.status, text: await r.text() }));
const ended = async (session: Session) => (await stack.binding(session.sessionKey))?.endedAt !== null;

describe('action links', () => {
  it('a link signed by integration A cannot name a session of integration B', async () => {
    const victim = await stack.seedSession({ integrationId: otherId, senderId: 'bob' });
    const forged = stack.link({ ...victim, integrationId: stack.http.id });
    const before = await stack.rows();
    expect((await get(forged)).status).toBe(403);
    expect((await post(forged)).status).toBe(403);
    expect(await stack.rows()).toEqual(before);
    expect(await ended(victim)).toBe(false);
  });

  it('a GET only shows a page whose button POSTs; the POST acts once, a second use is "already answered"', async () => {
    const session = await stack.seedSession({ senderId: 'carol' });
    const url = stack.link(session);
    const before = await stack.rows();
    const page = await get(url);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<form method="post"');
    expect(page.text).toContain('End conversation');
    expect(await stack.rows()).toEqual(before);

    const first = await post(url);
    expect(first.status).toBe(200);
    await settled(stack);
    expect(await ended(session)).toBe(true);
    const afterFirst = await stack.rows();
    expect(afterFirst.handoff).toBe(before.handoff + 1);
    expect(afterFirst.action_use).toBe(before.action_use + 1);

    const again = await post(url);
    expect(again.status).toBe(409);
    expect(again.text).toContain('Already answered');
    expect((await get(url)).status).toBe(409);
    expect(await stack.rows()).toEqual(afterFirst);
  });

  it('an End link of an earlier conversation does not end the current one', async () => {
    const first = await stack.seedSession({ senderId: 'dave', conversationId: 'cid-dave' });
    const oldLink = stack.link(first);
    const current = await stack.seedSession({ senderId: 'dave', conversationId: 'cid-dave' });
    expect(current.threadId).not.toBe(first.threadId);
    const before = await stack.rows();
    const answer = await post(oldLink);
    expect(answer.status).toBe(410);
    expect(answer.text).toContain('earlier conversation');
    expect(await stack.rows()).toEqual(before);
    expect(await ended(current)).toBe(false);
  });

  it('links of the old unsigned format are refused without a 5xx and change nothing', async () => {
    const session = await stack.seedSession({ senderId: 'erin' });
    const before = await stack.rows();
    const old = `${stack.host.url}/api/dingtalk/action?integrationId=${stack.http.id}&conversationUserKey=${encodeURIComponent(session.sessionKey)}&action=dingtalk:end`;
    const answer = await get(old);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect((await post(old)).status).toBeLessThan(500);
    expect(await stack.rows()).toEqual(before);
    expect(await ended(session)).toBe(false);
  });

  it('in a group, a Confirm link opened in a browser changes nothing; only the asker’s card click counts', async () => {
    await stack.test(stack.http.id, { ...HTTP_APP, mode: 'http', preferredLanguage: 'en' });
    const asker = await stack.seedSession({ senderId: 'frank', conversationId: 'cid-group-1', group: true });
    const confirm = stack.link(asker, { action: 'dingtalk:confirm', params: { interrupt: 'int-1', group: '1' } });
    const before = await stack.rows();
    const opened = await post(confirm);
    expect(opened.status).toBe(403);
    expect(opened.text).toContain('Only the person who asked');
    expect(await stack.rows()).toEqual(before);

    const card = await stack.createCard({ callbackRouteKey: cardCallbackRouteKey(stack.http.id) });
    const stranger = await stack.simulator.cardCallbacks.click({ outTrackId: card, userId: 'grace', params: { actionUrl: confirm } });
    expect(stranger).toMatchObject({ delivered: true, status: 200, body: { userPrivateData: { cardParamMap: { notice: 'Only frank can answer this.' } } } });
    await settled(stack);
    const afterStranger = await stack.rows();
    expect(afterStranger).toEqual(before);
    const resumes = async () => Number((await stack.db.query("SELECT count(*)::int AS n FROM plugin_dingtalk_handoff WHERE kind = 'resume'"))[0].n);
    const resumesBefore = await resumes();
    expect(afterStranger.action_use).toBe(before.action_use);

    await stack.simulator.cardCallbacks.click({ outTrackId: card, userId: 'frank', params: { actionUrl: confirm } });
    await settled(stack);
    expect(await resumes()).toBe(resumesBefore + 1);
    expect((await stack.rows()).action_use).toBe(before.action_use + 1);
  });
});
