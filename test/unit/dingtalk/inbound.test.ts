import fc from 'fast-check';
import { DingTalkError } from '../../../src/kernel/errors';
import {
  isFromBot,
  isMentioningBot,
  parseCardCallback,
  parseEventPlaintext,
  parseRobotMessage,
  parseStreamEvent,
  robotMessageDropReason,
  type RobotMessageEvent,
} from '../../../src/dingtalk/inbound';

const BOT_ID = '$:LWCP_v1:$botBotBot==';

/** Fields every robot message carries, shaped like DingTalk's samples. */
function robotBody(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    conversationId: 'cidGroup123==',
    atUsers: [{ dingtalkId: BOT_ID }],
    chatbotCorpId: 'dingcorp0001',
    chatbotUserId: BOT_ID,
    msgId: 'msgABC123==',
    senderNick: '张三',
    isAdmin: true,
    senderStaffId: 'manager1',
    sessionWebhookExpiredTime: 1_700_005_400_000,
    createAt: 1_700_000_000_000,
    senderCorpId: 'dingcorp0001',
    conversationType: '2',
    senderId: '$:LWCP_v1:$senderXYZ==',
    conversationTitle: '项目群',
    isInAtList: true,
    sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=abc',
    robotCode: 'dingrobot0001',
    ...extra,
  };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof DingTalkError) return `${error.code}:${error.httpStatus}`;
    throw error;
  }
  throw new Error('expected a DingTalkError');
}

describe('parseRobotMessage', () => {
  it('text message in a group', () => {
    const event = parseRobotMessage(robotBody({ msgtype: 'text', text: { content: ' 你好，机器人 ' } }));
    expect(event).toMatchObject({
      kind: 'message',
      eventId: 'msgABC123==',
      msgType: 'text',
      conversationType: 'group',
      conversationId: 'cidGroup123==',
      conversationTitle: '项目群',
      senderId: '$:LWCP_v1:$senderXYZ==',
      senderStaffId: 'manager1',
      senderNick: '张三',
      senderCorpId: 'dingcorp0001',
      chatbotUserId: BOT_ID,
      robotCode: 'dingrobot0001',
      isInAtList: true,
      atUsers: [{ dingtalkId: BOT_ID }],
      sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=abc',
      sessionWebhookExpiresAt: 1_700_005_400_000,
      createdAt: 1_700_000_000_000,
      text: '你好，机器人',
      attachments: [],
    });
    expect(event.raw.isAdmin).toBe(true);
    expect(event).not.toHaveProperty('senderUnionId');
    expect(event).not.toHaveProperty('errorMessage');
  });

  it('private text message, HTTP sample with top-level content string, numeric-string createAt', () => {
    const event = parseRobotMessage(
      robotBody({
        msgtype: 'text',
        conversationType: '1',
        conversationTitle: undefined,
        content: ' 你好',
        createAt: '1700000000123',
        sessionWebhookExpiredTime: '1700005400123',
        atUsers: undefined,
        isInAtList: false,
      }),
    );
    expect(event.conversationType).toBe('private');
    expect(event.text).toBe('你好');
    expect(event.createdAt).toBe(1_700_000_000_123);
    expect(event.sessionWebhookExpiresAt).toBe(1_700_005_400_123);
    expect(event.atUsers).toEqual([]);
    expect(event.isInAtList).toBe(false);
    expect(event).not.toHaveProperty('conversationTitle');
  });

  it('accepts the Stream data string', () => {
    const data = JSON.stringify(robotBody({ msgtype: 'text', text: { content: 'hi' } }));
    expect(parseRobotMessage(data).text).toBe('hi');
  });

  it('picture message', () => {
    const event = parseRobotMessage(
      robotBody({ msgtype: 'picture', content: { downloadCode: 'dlPic==', pictureDownloadCode: 'pdlPic==' } }),
    );
    expect(event.msgType).toBe('picture');
    expect(event.text).toBe('');
    expect(event.attachments).toEqual([{ kind: 'picture', downloadCode: 'dlPic==' }]);
  });

  it('picture with only a pictureDownloadCode', () => {
    const event = parseRobotMessage(robotBody({ msgtype: 'picture', content: { pictureDownloadCode: 'pdl==' } }));
    expect(event.attachments).toEqual([{ kind: 'picture', downloadCode: 'pdl==' }]);
  });

  it('audio message carries its recognition as text', () => {
    const event = parseRobotMessage(
      robotBody({
        msgtype: 'audio',
        conversationType: '1',
        content: { downloadCode: 'dlAudio==', duration: 4000, recognition: ' 明天开会吗 ' },
      }),
    );
    expect(event.msgType).toBe('audio');
    expect(event.text).toBe('明天开会吗');
    expect(event.attachments).toEqual([{ kind: 'audio', downloadCode: 'dlAudio==', duration: 4000 }]);
  });

  it('video message', () => {
    const event = parseRobotMessage(
      robotBody({ msgtype: 'video', conversationType: '1', content: { downloadCode: 'dlVideo==', duration: '12', videoType: 'mp4' } }),
    );
    expect(event.attachments).toEqual([{ kind: 'video', downloadCode: 'dlVideo==', duration: 12 }]);
  });

  it('file message', () => {
    const event = parseRobotMessage(
      robotBody({
        msgtype: 'file',
        conversationType: '1',
        content: { downloadCode: 'dlFile==', fileName: '报告.pdf', spaceId: '123', fileId: '456' },
      }),
    );
    expect(event.msgType).toBe('file');
    expect(event.attachments).toEqual([{ kind: 'file', downloadCode: 'dlFile==', fileName: '报告.pdf' }]);
  });

  it('richText with pictures: text parts joined, pictures become attachments in order', () => {
    const event = parseRobotMessage(
      robotBody({
        msgtype: 'richText',
        content: {
          richText: [
            { text: ' 看这张图 ' },
            { type: 'picture', downloadCode: 'dl1==', pictureDownloadCode: 'pdl1==' },
            { text: '还有这张' },
            { type: 'picture', pictureDownloadCode: 'pdl2==' },
            { type: 'picture' },
            'garbage',
          ],
        },
      }),
    );
    expect(event.msgType).toBe('richText');
    expect(event.text).toBe('看这张图\n还有这张');
    expect(event.attachments).toEqual([
      { kind: 'picture', downloadCode: 'dl1==' },
      { kind: 'picture', downloadCode: 'pdl2==' },
    ]);
  });

  it('unsupported type arrives as unknown', () => {
    const event = parseRobotMessage(
      robotBody({ msgtype: 'unknownMsgType', content: { unknownMsgType: '用户发送了一条消息，机器人暂不支持接收。' } }),
    );
    expect(event.msgType).toBe('unknown');
    expect(event.text).toBe('');
    expect(event.attachments).toEqual([]);
  });

  it('quota exhausted: no text or content, an error field instead', () => {
    expect(parseRobotMessage(robotBody({ msgtype: 'text', errorMessage: 'quota exceeded (20001)' }))).toMatchObject({
      msgType: 'unknown',
      errorMessage: 'quota exceeded (20001)',
      text: '',
    });
    expect(parseRobotMessage(robotBody({ errMsg: 'quota' })).errorMessage).toBe('quota');
    // An error field next to real content is not a quota failure.
    const normal = parseRobotMessage(robotBody({ msgtype: 'text', text: { content: 'x' }, errorMessage: 'noise' }));
    expect(normal.msgType).toBe('text');
    expect(normal).not.toHaveProperty('errorMessage');
  });

  it('at-list: keeps users with a dingtalkId, drops empty staffIds', () => {
    const event = parseRobotMessage(
      robotBody({
        msgtype: 'text',
        text: { content: '@机器人 @李四 看一下' },
        atUsers: [{ dingtalkId: BOT_ID }, { dingtalkId: '$:u2', staffId: 'user2' }, { dingtalkId: '$:ext', staffId: '' }, { staffId: 'x' }, 7],
      }),
    );
    expect(event.atUsers).toEqual([{ dingtalkId: BOT_ID }, { dingtalkId: '$:u2', staffId: 'user2' }, { dingtalkId: '$:ext' }]);
  });

  it('"normal" robotCode means none', () => {
    const event = parseRobotMessage(robotBody({ msgtype: 'text', text: { content: 'x' }, robotCode: 'normal' }));
    expect(event).not.toHaveProperty('robotCode');
  });

  it('falls back to the injected clock when createAt is missing or unusable', () => {
    expect(parseRobotMessage(robotBody({ msgtype: 'text', createAt: undefined }), { now: () => 42 }).createdAt).toBe(42);
    expect(parseRobotMessage(robotBody({ msgtype: 'text', createAt: 'yesterday' }), { now: () => 43 }).createdAt).toBe(43);
  });

  it('malformed inputs → dingtalk_payload_invalid (400)', () => {
    const invalid = 'dingtalk_payload_invalid:400';
    for (const raw of [null, undefined, 42, 'not json', '[1,2]', [], [robotBody({})], true]) {
      expect(codeOf(() => parseRobotMessage(raw))).toBe(invalid);
    }
    for (const field of ['msgId', 'conversationId', 'senderId', 'conversationType']) {
      expect(codeOf(() => parseRobotMessage(robotBody({ msgtype: 'text', [field]: undefined })))).toBe(invalid);
      expect(codeOf(() => parseRobotMessage(robotBody({ msgtype: 'text', [field]: { nested: true } })))).toBe(invalid);
    }
    expect(codeOf(() => parseRobotMessage(robotBody({ conversationType: '3' })))).toBe(invalid);
    expect(codeOf(() => parseRobotMessage(robotBody({ msgId: '' })))).toBe(invalid);
    // Found by the reliability fuzzer: a blank id would have been stored as a real message.
    expect(codeOf(() => parseRobotMessage(robotBody({ msgId: '   ' })))).toBe(invalid);
    expect(codeOf(() => parseRobotMessage(robotBody({ senderId: '\t' })))).toBe(invalid);
  });

  it('optional fields of the wrong type are ignored, not fatal', () => {
    const event = parseRobotMessage(
      robotBody({ msgtype: 'text', text: { content: 5 }, senderNick: 9, atUsers: 'x', sessionWebhook: {}, content: [] }),
    );
    expect(event.text).toBe('');
    expect(event.atUsers).toEqual([]);
    expect(event).not.toHaveProperty('senderNick');
    expect(event).not.toHaveProperty('sessionWebhook');
  });
});

describe('bot filters (P6)', () => {
  const message = (extra: Record<string, unknown>): RobotMessageEvent =>
    parseRobotMessage(robotBody({ msgtype: 'text', text: { content: 'x' }, ...extra }));

  it('a group message that @-mentions the bot is kept', () => {
    const event = message({});
    expect(isMentioningBot(event)).toBe(true);
    expect(robotMessageDropReason(event)).toBeUndefined();
  });

  it('a group message without a mention is dropped; the at-list alone also counts', () => {
    const none = message({ isInAtList: false, atUsers: [{ dingtalkId: '$:other' }] });
    expect(isMentioningBot(none)).toBe(false);
    expect(robotMessageDropReason(none)).toBe('group_without_mention');
    const byAtList = message({ isInAtList: false, atUsers: [{ dingtalkId: BOT_ID }] });
    expect(isMentioningBot(byAtList)).toBe(true);
  });

  it('a private message needs no mention', () => {
    expect(robotMessageDropReason(message({ conversationType: '1', isInAtList: false, atUsers: [] }))).toBeUndefined();
  });

  it("the bot's own messages are dropped", () => {
    const own = message({ senderId: BOT_ID });
    expect(isFromBot(own)).toBe(true);
    expect(robotMessageDropReason(own)).toBe('from_bot');
    const byConfiguredId = message({ senderId: '$:configured', chatbotUserId: undefined });
    expect(isFromBot(byConfiguredId, { chatbotUserId: '$:configured' })).toBe(true);
    const byRobotCode = message({ senderStaffId: 'dingrobot0001' });
    expect(isFromBot(byRobotCode)).toBe(true);
    expect(isFromBot(message({}), { robotCode: 'dingrobot0001' })).toBe(false);
  });
});

describe('parseCardCallback', () => {
  const body = {
    type: 'actionCallback',
    outTrackId: 'reply-123',
    corpId: 'dingcorp0001',
    userId: 'manager1',
    content: '{"cardPrivateData":{"actionIds":["1"],"params":{"action":"accept","count":2}}}',
  };

  it('parses the documented payload', () => {
    const event = parseCardCallback(body);
    expect(event).toMatchObject({
      kind: 'card_action',
      outTrackId: 'reply-123',
      userId: 'manager1',
      corpId: 'dingcorp0001',
      actionIds: ['1'],
      params: { action: 'accept', count: 2 },
    });
    expect(event.raw).toEqual(body);
    expect(event.eventId).toMatch(/^card:[0-9a-f]{40}$/);
  });

  it('derives a stable id: same press → same id, other content or user → other id', () => {
    const id = parseCardCallback(body).eventId;
    expect(parseCardCallback(JSON.stringify(body)).eventId).toBe(id);
    expect(parseCardCallback({ ...body, userId: 'user2' }).eventId).not.toBe(id);
    expect(parseCardCallback({ ...body, content: body.content.replace('accept', 'reject') }).eventId).not.toBe(id);
    expect(parseCardCallback({ ...body, eventId: 'evt-1' }).eventId).toBe('evt-1');
  });

  it('accepts content as an object and tolerates missing content', () => {
    expect(parseCardCallback({ ...body, content: JSON.parse(body.content) }).params).toEqual({ action: 'accept', count: 2 });
    expect(parseCardCallback({ outTrackId: 'o', userId: 'u' })).toMatchObject({ actionIds: [], params: {} });
  });

  it('malformed callbacks → dingtalk_payload_invalid', () => {
    const invalid = 'dingtalk_payload_invalid:400';
    expect(codeOf(() => parseCardCallback({ ...body, outTrackId: undefined }))).toBe(invalid);
    expect(codeOf(() => parseCardCallback({ ...body, userId: 3 }))).toBe(invalid);
    expect(codeOf(() => parseCardCallback({ ...body, content: '{broken' }))).toBe(invalid);
    expect(codeOf(() => parseCardCallback({ ...body, content: '[1]' }))).toBe(invalid);
    expect(codeOf(() => parseCardCallback({ ...body, content: 12 }))).toBe(invalid);
    expect(codeOf(() => parseCardCallback(null))).toBe(invalid);
  });
});

describe('parseEventPlaintext', () => {
  it('check_url and other verification types', () => {
    expect(parseEventPlaintext('{"EventType":"check_url"}')).toEqual({
      kind: 'check_url',
      eventType: 'check_url',
      data: { EventType: 'check_url' },
    });
    const suite = parseEventPlaintext('{"EventType":"check_create_suite_url","Random":"LPIdSnlF","TestSuiteKey":"suite4x"}');
    expect(suite.kind).toBe('check_url');
    expect(suite.eventType).toBe('check_create_suite_url');
  });

  it('group event: type, corp, and a sha1 id when the payload has none', () => {
    const plaintext =
      '{"EventType":"chat_add_member","TimeStamp":1700000000000,"ChatId":"chat123","OpenConversationId":"cidTEST==","UserId":["user1"],"Operator":"manager1","CorpId":"dingcorp0001","Note":"测试"}';
    const event = parseEventPlaintext(plaintext);
    expect(event).toMatchObject({ kind: 'platform_event', eventType: 'chat_add_member', corpId: 'dingcorp0001' });
    expect(event.kind === 'platform_event' && event.eventId).toMatch(/^[0-9a-f]{40}$/);
    expect(parseEventPlaintext(plaintext)).toEqual(event);
  });

  it('robot_msg_recall uses its eventId', () => {
    const event = parseEventPlaintext(
      JSON.stringify({
        EventType: 'robot_msg_recall',
        EventTime: 1700000000000,
        CorpId: 'dingcorp0001',
        BizId: 'b1',
        eventId: 'evt-recall-1',
        OpenConversationId: 'cid==',
        UserId: 'manager1',
        ProcessQueryKey: 'pqk',
        RobotCode: 'dingrobot0001',
      }),
    );
    expect(event).toMatchObject({ kind: 'platform_event', eventType: 'robot_msg_recall', eventId: 'evt-recall-1' });
  });

  it('malformed plaintext → dingtalk_payload_invalid', () => {
    for (const text of ['', 'success', '[]', '{}', '{"EventType":5}', 'null']) {
      expect(codeOf(() => parseEventPlaintext(text))).toBe('dingtalk_payload_invalid:400');
    }
    expect(codeOf(() => parseEventPlaintext(undefined as unknown as string))).toBe('dingtalk_payload_invalid:400');
  });
});

describe('parseStreamEvent', () => {
  const headers = {
    appId: 'app',
    connectionId: 'c1',
    contentType: 'application/json',
    messageId: 'm1',
    time: '1700000000000',
    topic: '*',
    eventType: 'chat_update_title',
    eventId: 'evt-42',
    eventBornTime: '1700000000000',
    eventCorpId: 'dingcorp0001',
    eventUnifiedAppId: 'u',
  };

  it('reads type, id and corp from the headers', () => {
    expect(parseStreamEvent(headers, '{"chatId":"c","title":"新标题"}')).toEqual({
      kind: 'platform_event',
      eventType: 'chat_update_title',
      eventId: 'evt-42',
      corpId: 'dingcorp0001',
      data: { chatId: 'c', title: '新标题' },
    });
  });

  it('falls back to a sha1 of the data without an eventId header', () => {
    const event = parseStreamEvent({ ...headers, eventId: undefined }, '{"a":1}');
    expect(event.kind === 'platform_event' && event.eventId).toMatch(/^[0-9a-f]{40}$/);
  });

  it('malformed frames → dingtalk_payload_invalid', () => {
    expect(codeOf(() => parseStreamEvent(null, '{}'))).toBe('dingtalk_payload_invalid:400');
    expect(codeOf(() => parseStreamEvent({ ...headers, eventType: undefined }, '{}'))).toBe('dingtalk_payload_invalid:400');
    expect(codeOf(() => parseStreamEvent(headers, '{oops'))).toBe('dingtalk_payload_invalid:400');
  });
});

describe('fuzz: arbitrary input never throws anything but dingtalk_payload_invalid', () => {
  const onlyPayloadInvalid = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(DingTalkError);
      expect((error as DingTalkError).code).toBe('dingtalk_payload_invalid');
    }
  };

  // Arbitrary values, plus objects built from the real field names so parsing gets past the first checks.
  const fieldNames = ['msgId', 'conversationId', 'conversationType', 'senderId', 'msgtype', 'text', 'content', 'atUsers',
    'createAt', 'richText', 'outTrackId', 'userId', 'EventType', 'eventType', 'errorMessage', 'downloadCode'];
  const value = fc.oneof(fc.jsonValue(), fc.constantFrom('1', '2', 'text', 'richText', 'picture', '{}', '[]', '{"a":'));
  const shaped = fc.dictionary(fc.constantFrom(...fieldNames), fc.oneof(value, fc.dictionary(fc.constantFrom(...fieldNames), value)));
  const input = fc.oneof(fc.anything(), fc.jsonValue(), shaped, shaped.map((o) => JSON.stringify(o)));

  it('parseRobotMessage', () => {
    fc.assert(fc.property(input, (raw) => onlyPayloadInvalid(() => parseRobotMessage(raw))), { numRuns: 1000 });
  });

  it('parseCardCallback', () => {
    fc.assert(fc.property(input, (raw) => onlyPayloadInvalid(() => parseCardCallback(raw))), { numRuns: 1000 });
  });

  it('parseEventPlaintext and parseStreamEvent', () => {
    fc.assert(
      fc.property(input, input, (a, b) => {
        onlyPayloadInvalid(() => parseEventPlaintext(typeof a === 'string' ? a : JSON.stringify(a) ?? ''));
        onlyPayloadInvalid(() => parseStreamEvent(a, b));
      }),
      { numRuns: 1000 },
    );
  });
});
