import { readRunContext } from '../../../src/notify/dingtalk-run-context';
import { parseNotifyOptions } from '../../../src/notify/notify-options';

describe('parseNotifyOptions', () => {
  it('fills the documented defaults', () => {
    expect(parseNotifyOptions(undefined)).toEqual({
      options: { recipient_type: 'user_id', template: { enabled: true, strict: false }, autoReply: false, allowToolRecipients: false, timeoutMs: 10000 },
    });
  });

  it('accepts what a form stores: empty strings, nulls, numbers as text', () => {
    const { options, problem } = parseNotifyOptions({ integrationId: ' ', recipient_id: '', recipient_type: null, template: null, timeoutMs: '3000', autoReply: true });
    expect(problem).toBeUndefined();
    expect(options).toMatchObject({ recipient_type: 'user_id', timeoutMs: 3000, autoReply: true, template: { enabled: true } });
    expect(options.integrationId).toBeUndefined();
    expect(options.recipient_id).toBeUndefined();
  });

  it('never throws: invalid options fall back to defaults and keep the problem', () => {
    const parsed = parseNotifyOptions({ recipient_type: 'email', timeoutMs: 5 });
    expect(parsed.options.recipient_type).toBe('user_id');
    expect(parsed.problem).toMatch(/recipient_type: .*; timeoutMs: /);
  });
});

describe('readRunContext', () => {
  const valid = { integrationId: 'i', conversationType: 'group', conversationId: 'cid', eventId: 'e', language: 'en', sessionWebhookExpiresAt: '1700000000000' };

  it('reads state.human.dingtalk', () => {
    expect(readRunContext({ human: { dingtalk: valid } })).toEqual({ ...valid, sessionWebhookExpiresAt: 1700000000000 });
    expect(readRunContext({ human: { dingtalk: { ...valid, language: 'fr' } } })?.language).toBe('zh-Hans');
  });

  it('treats anything malformed as absent', () => {
    expect(readRunContext(undefined)).toBeUndefined();
    expect(readRunContext({ human: 'x' })).toBeUndefined();
    expect(readRunContext({ human: { dingtalk: { ...valid, conversationType: 'channel' } } })).toBeUndefined();
    expect(readRunContext({ human: { dingtalk: { ...valid, eventId: '' } } })).toBeUndefined();
    expect(readRunContext({ dingtalk: valid })).toBeUndefined();
  });
});
