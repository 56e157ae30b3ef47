import { actionLinkSecret, buildActionLink, verifyActionLink } from '../../../src/kernel/action-link';

const secret = actionLinkSecret('app-secret');
const link = { integrationId: 'int-1', sessionKey: 'int-1:cid:user1', action: 'dingtalk:end', params: { run: 'r1' }, expiresAt: 2_000_000 };

function queryOf(url: string): Record<string, string> {
  return Object.fromEntries(new URL(url).searchParams.entries());
}

describe('signed action links', () => {
  it('round-trips every field', () => {
    const url = buildActionLink('https://xpert.example.com/', link, secret);
    expect(url.startsWith('https://xpert.example.com/api/dingtalk/action?')).toBe(true);
    expect(verifyActionLink(queryOf(url), secret, 1_000_000)).toMatchObject(link);
  });

  it.each([
    ['session', { s: 'int-1:cid:someone-else' }],
    ['action', { action: 'dingtalk:confirm' }],
    ['expiry', { e: '9999999999999' }],
    ['param', { p_run: 'r2' }],
    ['added param', { p_extra: 'x' }],
    ['signature', { sig: 'AAAA' }],
  ])('refuses a link whose %s was changed', (_what, patch) => {
    const query = { ...queryOf(buildActionLink('https://x', link, secret)), ...patch };
    expect(() => verifyActionLink(query, secret, 1_000_000)).toThrow(expect.objectContaining({ code: 'dingtalk_action_link_invalid', httpStatus: 403 }));
  });

  it('refuses a link signed with another secret, and an expired one', () => {
    const query = queryOf(buildActionLink('https://x', link, actionLinkSecret('other-secret')));
    expect(() => verifyActionLink(query, secret, 1_000_000)).toThrow(expect.objectContaining({ code: 'dingtalk_action_link_invalid' }));
    const fresh = queryOf(buildActionLink('https://x', link, secret));
    expect(() => verifyActionLink(fresh, secret, 2_000_001)).toThrow(expect.objectContaining({ code: 'dingtalk_action_link_expired', httpStatus: 410 }));
  });

  it('derives a secret that is not the app secret itself', () => {
    expect(secret).not.toContain('app-secret');
    expect(actionLinkSecret('app-secret')).toBe(secret);
  });
});
