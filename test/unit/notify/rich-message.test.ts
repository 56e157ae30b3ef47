import { finalAnswerText } from '../../../src/notify/auto-reply';
import { markdownParts, notifySessionKey, textParts, titleFrom, validateButtons } from '../../../src/notify/rich-message';
import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';

describe('message parts', () => {
  it('splits long text without losing anything and mentions only in the first part', () => {
    const text = 'word '.repeat(3000);
    const parts = textParts(text, ['u1']);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.map((p) => (p as { text: string }).text).join('')).toBe(text);
    expect(parts.map((p) => (p as { atUserIds?: string[] }).atUserIds)).toEqual([['u1'], ...parts.slice(1).map(() => undefined)]);
    expect(markdownParts('T', 'short')).toEqual([{ kind: 'markdown', title: 'T', text: 'short' }]);
    expect(() => markdownParts('T', '  ')).toThrow(/text is empty/);
  });

  it('validates buttons', () => {
    expect(validateButtons([{ title: ' Go ', url: 'https://x.y' }, { title: 'Ok', action: 'ok' }])).toEqual([
      { title: 'Go', url: 'https://x.y' },
      { title: 'Ok', action: 'ok', value: '' },
    ]);
    expect(() => validateButtons([])).toThrow(/at least one button/);
    expect(() => validateButtons([{ title: 'x', url: 'https://a', action: 'b' }])).toThrow(/either a url or an action/);
    expect(() => validateButtons([{ title: 'x', url: 'javascript:alert(1)' }])).toThrow(/must start with https/);
    expect(() => validateButtons([{ title: '', url: 'https://a' }])).toThrow(/has no title/);
  });

  it('titles and session keys', () => {
    expect(titleFrom('## **Build** status\nmore', 'fallback')).toBe('Build status');
    expect(titleFrom('', 'fallback')).toBe('fallback');
    expect([...titleFrom('长'.repeat(50), 'f')]).toHaveLength(30);
    expect(notifySessionKey({ integrationId: 'i', type: 'chat_id', ids: ['cid'], source: 'run_context', conversationId: 'cid', senderStaffId: 's' })).toBe('i:cid:s');
    expect(notifySessionKey({ integrationId: 'i', type: 'user_id', ids: ['a', 'b'], source: 'config' })).toBe('i:notify:user_id:a,b');
  });
});

describe('finalAnswerText', () => {
  it('takes the newest AI message of this turn', () => {
    expect(finalAnswerText({ messages: [new HumanMessage('q'), new AIMessage({ content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] })] })).toBe('ab');
    expect(finalAnswerText({ messages: [{ type: 'human', content: 'q' }, { role: 'assistant', content: ' plain ' }] })).toBe('plain');
    expect(finalAnswerText({ messages: [{ lc: 1, type: 'constructor', id: ['langchain_core', 'messages', 'AIMessage'], kwargs: { content: 'serialized' } }] })).toBe('serialized');
  });

  it('returns nothing when this turn has no answer', () => {
    expect(finalAnswerText({ messages: [new AIMessage('old'), new HumanMessage('new')] })).toBeUndefined();
    expect(finalAnswerText({ messages: [new HumanMessage('q'), new AIMessage({ content: '', tool_calls: [{ id: '1', name: 't', args: {} }] }), new ToolMessage({ content: 'r', tool_call_id: '1' })] })).toBeUndefined();
    expect(finalAnswerText({})).toBeUndefined();
  });
});
