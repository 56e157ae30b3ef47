import { cardSpaceFor, outTrackIdFor } from '../../../src/reply/card-target';
import { layoutCardText, withToolStatus } from '../../../src/reply/card-text.layout';
import { endOfAnswerMessage, expertErrorMessage, interruptMessage, noticeMessage } from '../../../src/reply/final-actions';
import { titleFor, toRobotMessage, toWebhookBody } from '../../../src/reply/reply-message';
import type { ReplyTarget } from '../../../src/kernel/run-context';
import { UpdateThrottle } from '../../../src/reply/update-throttle';
import { sessionWebhookDecision } from '../../../src/reply/webhook-route.policy';

const HOSTS = { apiBaseUrl: 'https://api.dingtalk.com', oapiBaseUrl: 'https://oapi.dingtalk.com' };
const NOW = 1_700_000_000_000;
const WEBHOOK = 'https://oapi.dingtalk.com/robot/sendBySession?session=abc';

describe('sessionWebhookDecision (P19 + expiry)', () => {
  const decide = (sessionWebhook?: string, sessionWebhookExpiresAt?: number) =>
    sessionWebhookDecision({ sessionWebhook, sessionWebhookExpiresAt }, { now: NOW, hosts: HOSTS, marginMs: 60_000 });

  it('uses a valid webhook on the DingTalk host', () => {
    expect(decide(WEBHOOK, NOW + 61_000)).toBe('usable');
    expect(decide(WEBHOOK, undefined)).toBe('usable'); // a failed post still falls back
  });
  it('skips one expired or inside the safety margin', () => {
    expect(decide(WEBHOOK, NOW + 60_000)).toBe('expired');
    expect(decide(WEBHOOK, NOW - 1)).toBe('expired');
  });
  it('never calls another host, however it is dressed up', () => {
    for (const url of [
      'https://evil.example.com/robot/sendBySession?session=abc',
      'https://oapi.dingtalk.com@evil.example.com/robot/sendBySession',
      'https://oapi.dingtalk.com:8443/robot/sendBySession',
      'http://oapi.dingtalk.com/robot/sendBySession',
      'not a url',
    ]) {
      expect(decide(url, NOW + 3_600_000)).toBe('foreign_host');
    }
    expect(decide(undefined, NOW + 3_600_000)).toBe('absent');
  });
});

describe('card text layout', () => {
  const note = '_(continued below)_';

  it('leaves text under the cap alone', () => {
    expect(layoutCardText('short', 100, note)).toEqual({ cardText: 'short', overflow: '' });
  });

  it('cuts at the cap with a note; card body + overflow is the whole text', () => {
    const text = Array.from({ length: 60 }, (_, i) => `段落 ${i}: some words here.`).join('\n\n');
    const { cardText, overflow } = layoutCardText(text, 500, note);
    expect(Buffer.byteLength(cardText)).toBeLessThanOrEqual(500);
    expect(cardText.endsWith(`\n\n${note}`)).toBe(true);
    expect(cardText.slice(0, -(note.length + 2)) + overflow).toBe(text);
  });

  it('closes a split code block in the card and re-opens it in the overflow', () => {
    const code = Array.from({ length: 80 }, (_, i) => `const v${i} = ${i};`).join('\n');
    const text = `\`\`\`ts\n${code}\n\`\`\`\n`;
    const { cardText, overflow } = layoutCardText(text, 400, note);
    expect(cardText).toMatch(/```\n\n_\(continued below\)_$/);
    expect(overflow.startsWith('```ts\n')).toBe(true);
  });

  it('adds a transient tool status line', () => {
    expect(withToolStatus('Text', 'Using search…')).toBe('Text\n\n> Using search…');
    expect(withToolStatus('', 'Using search…')).toBe('> Using search…');
    expect(withToolStatus('Text', undefined)).toBe('Text');
  });
});

describe('UpdateThrottle', () => {
  it('allows one update per interval and doubles the interval on throttling, up to the max', () => {
    const throttle = new UpdateThrottle(800, 3000);
    expect(throttle.waitMs(0)).toBe(0);
    throttle.updated(1000);
    expect(throttle.waitMs(1500)).toBe(300);
    expect(throttle.waitMs(1800)).toBe(0);
    throttle.throttled(2000);
    expect(throttle.intervalMs).toBe(1600);
    expect(throttle.waitMs(3000)).toBe(600);
    throttle.throttled(4000);
    throttle.throttled(5000);
    expect(throttle.intervalMs).toBe(3000);
  });
});

describe('card target', () => {
  const base: ReplyTarget = { integrationId: 'i', conversationType: 'group', conversationId: 'cidG', senderStaffId: 'u1', language: 'en' };

  it('derives a stable, short outTrackId from the key', () => {
    expect(outTrackIdFor('job-1')).toBe(outTrackIdFor('job-1'));
    expect(outTrackIdFor('job-1')).not.toBe(outTrackIdFor('job-2'));
    expect(outTrackIdFor('k'.repeat(500)).length).toBeLessThanOrEqual(64);
  });

  it('builds the group and robot spaces, each with its open space model; the group deliver model @-mentions the asker', () => {
    expect(cardSpaceFor(base)).toEqual({ openSpaceId: 'dtv1.card//IM_GROUP.cidG', imGroupOpenDeliverModel: { atUserIds: { u1: 'u1' } }, imGroupOpenSpaceModel: { supportForward: true } });
    expect(cardSpaceFor({ ...base, senderNick: 'Ann' })?.imGroupOpenDeliverModel).toEqual({ atUserIds: { u1: 'Ann' } });
    // An external member has no userId to mention.
    expect(cardSpaceFor({ ...base, senderStaffId: undefined })).toEqual({ openSpaceId: 'dtv1.card//IM_GROUP.cidG', imGroupOpenDeliverModel: {}, imGroupOpenSpaceModel: { supportForward: true } });
    expect(cardSpaceFor({ ...base, conversationType: 'private' })).toEqual({
      openSpaceId: 'dtv1.card//IM_ROBOT.u1',
      imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT' },
      imRobotOpenSpaceModel: { supportForward: true },
    });
    expect(cardSpaceFor({ ...base, conversationType: 'private', senderStaffId: undefined })).toBeUndefined();
  });
});

describe('messages', () => {
  it('derives a short plain title from the first line', () => {
    expect(titleFor('## **Weekly** report\n\nbody', 'en')).toBe('Weekly report');
    expect(titleFor('\n\n   \n', 'zh-Hans')).toBe('专家回复');
    expect(Array.from(titleFor('x'.repeat(100), 'en'))).toHaveLength(40);
  });

  it('mentions in webhook markdown only, and the OpenAPI form has no @', () => {
    const msg = { kind: 'markdown' as const, title: 'T', text: 'Hi' };
    expect(toWebhookBody(msg, { userId: 'u1' })).toEqual({ msgtype: 'markdown', markdown: { title: 'T', text: 'Hi\n\n@u1' }, at: { atUserIds: ['u1'] } });
    expect(toRobotMessage(msg)).toEqual({ msgKey: 'sampleMarkdown', msgParam: JSON.stringify({ title: 'T', text: 'Hi' }) });
  });

  it('builds the closing messages, localized', () => {
    expect(endOfAnswerMessage('en', {})).toBeUndefined();
    expect(endOfAnswerMessage('zh-Hans', { endUrl: 'https://e' })).toMatchObject({ kind: 'actionCard', buttons: [{ title: '结束会话', url: 'https://e' }] });
    expect(interruptMessage('en', 'do x', { confirmUrl: 'https://c', rejectUrl: 'https://r' })).toEqual({
      kind: 'actionCard',
      horizontal: true,
      title: 'The expert needs your confirmation to continue:',
      text: 'The expert needs your confirmation to continue:\n\ndo x',
      buttons: [
        { title: 'Confirm', url: 'https://c' },
        { title: 'Reject', url: 'https://r' },
      ],
    });
    expect(interruptMessage('en', '', {})).toMatchObject({ kind: 'markdown' });
    expect(expertErrorMessage('zh-Hans')).toMatchObject({ kind: 'markdown', text: '抱歉，专家这次没能回答，请稍后再试。' });
    expect(noticeMessage('en', 'Hello')).toEqual({ kind: 'markdown', title: 'Hello', text: 'Hello' });
  });
});
