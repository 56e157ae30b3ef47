import { turnActions, INTERRUPT_PARAM } from '../../../src/conversation/action-links';
import { linkQueryOf } from '../../../src/conversation/card-action.handler';
import type { StoredMessageEvent } from '../../../src/conversation/job-payloads';
import { buildTurnInput } from '../../../src/conversation/turn-input';
import { actionLinkSecret, verifyActionLink } from '../../../src/kernel/action-link';

const message = (overrides: Partial<StoredMessageEvent>): StoredMessageEvent => ({
  kind: 'message',
  eventId: 'e',
  msgType: 'text',
  conversationType: 'private',
  conversationId: 'c',
  senderId: 's',
  isInAtList: true,
  atUsers: [],
  createdAt: 0,
  text: '',
  attachments: [],
  ...overrides,
});

describe('buildTurnInput', () => {
  it('joins texts in order; audio is its recognition; files are fetched, failures become a note', async () => {
    const download = jest.fn(async (attachment: { downloadCode: string }) => {
      if (attachment.downloadCode === 'bad') throw new Error('no permission');
      return `https://dl/${attachment.downloadCode}`;
    });
    const input = await buildTurnInput(
      [
        message({ text: 'one' }),
        message({ msgType: 'audio', text: 'spoken words', attachments: [{ kind: 'audio', downloadCode: 'voice', duration: 3000 }] }),
        message({ msgType: 'picture', attachments: [{ kind: 'picture', downloadCode: 'pic' }] }),
        message({ msgType: 'file', text: 'two', attachments: [{ kind: 'file', downloadCode: 'bad', fileName: 'x.pdf' }] }),
        message({ msgType: 'file', attachments: [{ kind: 'file', downloadCode: 'doc', fileName: 'y.docx' }] }),
      ],
      'en',
      download,
    );
    expect(download.mock.calls.map(([a]) => a.downloadCode)).toEqual(['pic', 'bad', 'doc']);
    expect(input.text).toBe('one\nspoken words\ntwo\n[The user sent an attachment (file) that could not be passed on.]');
    expect(input.files).toEqual([
      { url: 'https://dl/pic', name: 'image' },
      { url: 'https://dl/doc', name: 'y.docx' },
    ]);
  });

  it('never drops a message silently: no downloader, or nothing readable, becomes a note (localized)', async () => {
    expect((await buildTurnInput([message({ attachments: [{ kind: 'video', downloadCode: 'v' }] })], 'zh-Hans')).text).toBe('[用户发送了一个附件（video），暂时无法转交。]');
    expect((await buildTurnInput([message({ msgType: 'unknown' })], 'en')).text).toBe('[The user sent a message of type unknown that cannot be passed on.]');
  });
});

describe('turnActions', () => {
  const integration = { id: 'int-1', options: { clientId: 'app', clientSecret: 'secret-1', mode: 'stream' as const } };
  const secret = actionLinkSecret('secret-1');
  const query = (url: string) => Object.fromEntries(new URL(url).searchParams.entries());

  it('signed End link always; Confirm/Reject naming the interrupt when there is one', () => {
    const now = 1_700_000_000_000;
    const plain = turnActions({ publicBaseUrl: 'https://x.example.com/', integration, sessionKey: 'int-1:c:s', now });
    expect(Object.keys(plain)).toEqual(['endUrl']);
    expect(verifyActionLink(query(plain.endUrl as string), secret, now)).toMatchObject({ action: 'dingtalk:end', sessionKey: 'int-1:c:s', integrationId: 'int-1' });

    const asked = turnActions({ publicBaseUrl: 'https://x.example.com', integration, sessionKey: 'int-1:c:s', now, interruptId: 'msg-9' });
    expect(verifyActionLink(query(asked.confirmUrl as string), secret, now)).toMatchObject({ action: 'dingtalk:confirm', params: { [INTERRUPT_PARAM]: 'msg-9' } });
    expect(verifyActionLink(query(asked.rejectUrl as string), secret, now)).toMatchObject({ action: 'dingtalk:reject', params: { [INTERRUPT_PARAM]: 'msg-9' } });
    expect(() => verifyActionLink(query(asked.confirmUrl as string), secret, now + 25 * 3600_000)).toThrow(/expired/);
  });

  it('no public origin, no links', () => {
    expect(turnActions({ integration, sessionKey: 'k', now: 0 })).toEqual({});
  });

  it('linkQueryOf reads a button URL or the link fields', () => {
    expect(linkQueryOf({ actionUrl: 'https://x/api/dingtalk/action?i=1&sig=z' })).toEqual({ i: '1', sig: 'z' });
    expect(linkQueryOf({ url: 'not a url' })).toBeUndefined();
    expect(linkQueryOf({ i: '1', sig: 'z', n: 3 })).toEqual({ i: '1', sig: 'z' });
    expect(linkQueryOf({ i: '1' })).toBeUndefined();
  });
});
