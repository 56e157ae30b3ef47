import type { DingTalkRunContext } from '../../../src/notify/dingtalk-run-context';
import { parseNotifyOptions, type NotifyOptions } from '../../../src/notify/notify-options';
import { resolveRecipient } from '../../../src/notify/recipient.resolver';

const options = (input: Record<string, unknown> = {}): NotifyOptions => parseNotifyOptions({ integrationId: 'int-1', ...input }).options;
const context = (overrides: Partial<DingTalkRunContext> = {}): DingTalkRunContext => ({
  integrationId: 'int-1',
  conversationType: 'group',
  conversationId: 'cidG==',
  senderStaffId: 'staff-a',
  eventId: 'msg-1',
  language: 'en',
  ...overrides,
});

describe('resolveRecipient', () => {
  it('prefers the trusted run context over the configured recipient', () => {
    const { recipient } = resolveRecipient({ options: options({ recipient_type: 'user_id', recipient_id: 'staff-z' }), runContext: context(), state: {} });
    expect(recipient).toMatchObject({ integrationId: 'int-1', type: 'chat_id', ids: ['cidG=='], source: 'run_context', conversationId: 'cidG==' });
  });

  it('replies to the sender of a private chat, or only through the webhook when they have no userId', () => {
    expect(resolveRecipient({ options: options(), runContext: context({ conversationType: 'private' }), state: {} }).recipient).toMatchObject({ type: 'user_id', ids: ['staff-a'] });
    const webhookOnly = resolveRecipient({ options: options(), runContext: context({ conversationType: 'private', senderStaffId: undefined, sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=1' }), state: {} });
    expect(webhookOnly.recipient).toMatchObject({ ids: [], sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=1' });
    expect(() => resolveRecipient({ options: options(), runContext: context({ conversationType: 'private', senderStaffId: undefined }), state: {} })).toThrow(/no way to reach them/);
  });

  it('uses the run context’s integration when none is configured, and skips a context of another integration', () => {
    expect(resolveRecipient({ options: parseNotifyOptions({}).options, runContext: context({ integrationId: 'int-9' }), state: {} }).recipient.integrationId).toBe('int-9');
    const other = resolveRecipient({ options: options({ recipient_type: 'chat_id', recipient_id: 'cidConf==' }), runContext: context({ integrationId: 'int-9' }), state: {} });
    expect(other.recipient).toMatchObject({ integrationId: 'int-1', ids: ['cidConf=='], source: 'config' });
    expect(other.notes[0]).toMatch(/different DingTalk integration/);
  });

  it('renders the configured recipient against the state; several userIds are allowed', () => {
    const state = { owner: 'staff-o', team: { ids: 'a, b;c' } };
    expect(resolveRecipient({ options: options({ recipient_id: '{{state.owner}}' }), state }).recipient).toMatchObject({ type: 'user_id', ids: ['staff-o'], source: 'config' });
    expect(resolveRecipient({ options: options({ recipient_id: '{{team.ids}}' }), state }).recipient.ids).toEqual(['a', 'b', 'c']);
    expect(resolveRecipient({ options: options({ recipient_type: 'chat_id', recipient_id: ' cidX,Y== ' }), state }).recipient.ids).toEqual(['cidX,Y==']);
  });

  it('strict templates turn a missing variable into an error; a disabled template is literal', () => {
    expect(() => resolveRecipient({ options: options({ recipient_id: '{{owner}}', template: { strict: true } }), state: {} })).toThrow(/\{\{owner\}\} is not set/);
    expect(() => resolveRecipient({ options: options({ recipient_id: '{{owner}}' }), state: {} })).toThrow(/rendered to nothing/);
    expect(resolveRecipient({ options: options({ recipient_id: '{{owner}}', template: { enabled: false } }), state: { owner: 'x' } }).recipient.ids).toEqual(['{{owner}}']);
  });

  it('a tool argument redirects only when allowed, and is never rendered as a template', () => {
    const toolRecipient = { recipient_type: 'chat_id' as const, recipient_id: '{{secret}}' };
    const locked = resolveRecipient({ options: options({ recipient_id: 'staff-conf' }), state: { secret: 's' }, toolRecipient });
    expect(locked.recipient).toMatchObject({ ids: ['staff-conf'], source: 'config' });
    expect(locked.notes[0]).toMatch(/were ignored/);
    const open = resolveRecipient({ options: options({ recipient_id: 'staff-conf', allowToolRecipients: true }), runContext: context(), state: { secret: 's' }, toolRecipient });
    expect(open.recipient).toMatchObject({ type: 'chat_id', ids: ['{{secret}}'], source: 'tool' });
  });

  it('explains a missing recipient or integration', () => {
    expect(() => resolveRecipient({ options: options(), state: {} })).toThrow(/No recipient: this run did not come from DingTalk/);
    expect(() => resolveRecipient({ options: parseNotifyOptions({ recipient_id: 'x' }).options, state: {} })).toThrow(/No DingTalk integration is selected/);
    expect(() => resolveRecipient({ options: options({ recipient_id: 'bad\u0001id' }), state: {} })).toThrow(/not a valid DingTalk userId/);
  });
});
