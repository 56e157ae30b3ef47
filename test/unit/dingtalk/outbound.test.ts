import { DingTalkError } from '../../../src/kernel/errors';
import {
  actionCardMessage,
  fileMessage,
  imageMessage,
  linkMessage,
  markdownMessage,
  MSG_PARAM_MAX_BYTES,
  textMessage,
  toCardData,
  toCardParamMap,
  webhookActionCard,
  webhookEmpty,
  webhookLink,
  webhookMarkdown,
  webhookText,
} from '../../../src/dingtalk/outbound';

function errorOf(fn: () => unknown): DingTalkError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DingTalkError) return error;
    throw error;
  }
  throw new Error('expected a DingTalkError');
}

const button = (n: number) => ({ title: `按钮${n}`, url: `https://example.com/${n}` });

describe('robot message builders (msgKey / msgParam)', () => {
  it('text and markdown, msgParam is a JSON string', () => {
    expect(textMessage('你好 "quoted"')).toEqual({ msgKey: 'sampleText', msgParam: '{"content":"你好 \\"quoted\\""}' });
    const markdown = markdownMessage('标题', '# 答案\n\n- 一');
    expect(markdown.msgKey).toBe('sampleMarkdown');
    expect(JSON.parse(markdown.msgParam)).toEqual({ title: '标题', text: '# 答案\n\n- 一' });
  });

  it('action card with one button uses singleTitle/singleURL', () => {
    const card = actionCardMessage({ title: 't', text: 'body', buttons: [button(1)] });
    expect(card.msgKey).toBe('sampleActionCard');
    expect(JSON.parse(card.msgParam)).toEqual({ title: 't', text: 'body', singleTitle: '按钮1', singleURL: 'https://example.com/1' });
  });

  it.each([2, 3, 4, 5])('action card with %i buttons uses sampleActionCard%i', (count) => {
    const buttons = Array.from({ length: count }, (_, i) => button(i + 1));
    const card = actionCardMessage({ title: 't', text: 'body', buttons });
    expect(card.msgKey).toBe(`sampleActionCard${count}`);
    const param = JSON.parse(card.msgParam);
    expect(Object.keys(param)).toHaveLength(2 + 2 * count);
    for (let i = 1; i <= count; i++) {
      expect(param[`actionTitle${i}`]).toBe(`按钮${i}`);
      expect(param[`actionURL${i}`]).toBe(`https://example.com/${i}`);
    }
  });

  it('two side-by-side buttons use sampleActionCard6', () => {
    const card = actionCardMessage({ title: 't', text: 'b', buttons: [button(1), button(2)], horizontal: true });
    expect(card.msgKey).toBe('sampleActionCard6');
    expect(JSON.parse(card.msgParam)).toEqual({
      title: 't',
      text: 'b',
      buttonTitle1: '按钮1',
      buttonUrl1: 'https://example.com/1',
      buttonTitle2: '按钮2',
      buttonUrl2: 'https://example.com/2',
    });
    expect(errorOf(() => actionCardMessage({ title: 't', text: 'b', buttons: [button(1)], horizontal: true })).details?.reason).toBe(
      'horizontal_needs_two',
    );
  });

  it('link, image and file', () => {
    expect(JSON.parse(linkMessage({ title: 't', text: 'x', messageUrl: 'https://a', picUrl: 'https://p' }).msgParam)).toEqual({
      title: 't',
      text: 'x',
      messageUrl: 'https://a',
      picUrl: 'https://p',
    });
    expect(linkMessage({ title: 't', text: 'x', messageUrl: 'https://a' }).msgKey).toBe('sampleLink');
    expect(imageMessage('@lADPmedia')).toEqual({ msgKey: 'sampleImageMsg', msgParam: '{"photoURL":"@lADPmedia"}' });
    const file = fileMessage({ mediaId: '@media', fileName: '季度报告.PDF' });
    expect(file.msgKey).toBe('sampleFile');
    expect(JSON.parse(file.msgParam)).toEqual({ mediaId: '@media', fileName: '季度报告.PDF', fileType: 'pdf' });
    expect(JSON.parse(fileMessage({ mediaId: 'm', fileName: 'x', fileType: 'zip' }).msgParam).fileType).toBe('zip');
  });

  it('rejects invalid messages with dingtalk_message_invalid and a reason', () => {
    const cases: [() => unknown, string][] = [
      [() => textMessage(''), 'empty'],
      [() => textMessage('   \n'), 'empty'],
      [() => markdownMessage('', 'x'), 'empty'],
      [() => markdownMessage('t', ''), 'empty'],
      [() => actionCardMessage({ title: 't', text: 'b', buttons: [] }), 'no_buttons'],
      [() => actionCardMessage({ title: 't', text: 'b', buttons: Array.from({ length: 6 }, (_, i) => button(i)) }), 'too_many_buttons'],
      [() => actionCardMessage({ title: 't', text: 'b', buttons: [{ title: '', url: 'https://a' }] }), 'empty'],
      [() => actionCardMessage({ title: 't', text: 'b', buttons: [{ title: 'x', url: '' }] }), 'empty'],
      [() => imageMessage(''), 'empty'],
      [() => fileMessage({ mediaId: 'm', fileName: 'noextension' }), 'empty'],
      [() => textMessage('a'.repeat(MSG_PARAM_MAX_BYTES)), 'too_long'],
    ];
    for (const [build, reason] of cases) {
      const error = errorOf(build);
      expect(error.code).toBe('dingtalk_message_invalid');
      expect(error.httpStatus).toBe(400);
      expect(error.details?.reason).toBe(reason);
    }
  });

  it('the size limit counts UTF-8 bytes of the encoded msgParam', () => {
    // 4 990 CJK characters are 14 970 bytes raw, plus {"content":""} = 14 984: fits.
    expect(() => textMessage('中'.repeat(4990))).not.toThrow();
    expect(errorOf(() => textMessage('中'.repeat(4996))).details).toMatchObject({ reason: 'too_long', limit: 15_000 });
  });
});

describe('session webhook bodies', () => {
  it('text and markdown with and without @', () => {
    expect(webhookText('hi')).toEqual({ msgtype: 'text', text: { content: 'hi' } });
    expect(webhookText('hi @user1', { atUserIds: ['user1'] })).toEqual({
      msgtype: 'text',
      text: { content: 'hi @user1' },
      at: { atUserIds: ['user1'] },
    });
    expect(webhookMarkdown('t', '**x**', { atUserIds: [], isAtAll: false })).toEqual({
      msgtype: 'markdown',
      markdown: { title: 't', text: '**x**' },
    });
    expect(webhookMarkdown('t', 'x', { isAtAll: true, atMobiles: ['138'] }).at).toEqual({ atMobiles: ['138'], isAtAll: true });
  });

  it('action card: one button is a whole-card link, more are independent buttons', () => {
    expect(webhookActionCard({ title: 't', text: 'b', buttons: [button(1)] })).toEqual({
      msgtype: 'actionCard',
      actionCard: { title: 't', text: 'b', btnOrientation: '0', singleTitle: '按钮1', singleURL: 'https://example.com/1' },
    });
    expect(webhookActionCard({ title: 't', text: 'b', buttons: [button(1), button(2)], horizontal: true })).toEqual({
      msgtype: 'actionCard',
      actionCard: {
        title: 't',
        text: 'b',
        btnOrientation: '1',
        btns: [
          { title: '按钮1', actionURL: 'https://example.com/1' },
          { title: '按钮2', actionURL: 'https://example.com/2' },
        ],
      },
    });
    expect(errorOf(() => webhookActionCard({ title: 't', text: 'b', buttons: [] })).code).toBe('dingtalk_message_invalid');
  });

  it('link and empty', () => {
    expect(webhookLink({ title: 't', text: 'x', messageUrl: 'https://a' })).toEqual({
      msgtype: 'link',
      link: { title: 't', text: 'x', messageUrl: 'https://a' },
    });
    expect(webhookEmpty()).toEqual({ msgtype: 'empty' });
    expect(errorOf(() => webhookText(' ')).code).toBe('dingtalk_message_invalid');
  });
});

describe('card data', () => {
  it('turns every value into a string', () => {
    expect(
      toCardParamMap({
        s: 'text',
        n: 1,
        f: 1.5,
        yes: true,
        no: false,
        nothing: null,
        skipped: undefined,
        list: [1, 'a'],
        obj: { a: { b: 2 } },
        when: new Date('2024-01-02T03:04:05.000Z'),
      }),
    ).toEqual({
      s: 'text',
      n: '1',
      f: '1.5',
      yes: 'true',
      no: 'false',
      nothing: '',
      list: '[1,"a"]',
      obj: '{"a":{"b":2}}',
      when: '2024-01-02T03:04:05.000Z',
    });
    expect(toCardData({ content: 'x', done: true })).toEqual({ cardParamMap: { content: 'x', done: 'true' } });
  });

  it('refuses values DingTalk cannot carry', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const bad of [{ fn: () => 1 }, { sym: Symbol('x') }, { c: circular }, { d: new Date('nope') }]) {
      const error = errorOf(() => toCardParamMap(bad));
      expect(error.code).toBe('dingtalk_message_invalid');
      expect(error.details?.reason).toBe('card_value');
    }
  });
});
