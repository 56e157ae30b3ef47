import type { SendFn } from '../../../src/reply/answer-stream';
import { MarkdownAnswerStream } from '../../../src/reply/markdown.stream';
import type { OutgoingMessage } from '../../../src/reply/reply-message';
import { StreamingReplySession } from '../../../src/reply/reply.session';
import { silentReplyLogger } from '../../../src/reply/reply-options';

// The segmenting logic with a recording send (the integration tests cover the real route).

function recorder() {
  const sent: Array<{ key: string; message: OutgoingMessage; mention?: boolean }> = [];
  const send: SendFn = async (key, message, options) => {
    sent.push({ key, message, mention: options?.mention });
    return { via: 'webhook', reused: false };
  };
  return { sent, send };
}

function stream(send: SendFn, chunkBytes = 64) {
  return new MarkdownAnswerStream({ key: 'k', send, language: 'en', chunkBytes, mentionFirst: true });
}

it('numbers chunks across the whole answer and mentions only on the first message', async () => {
  const { sent, send } = recorder();
  const s = stream(send);
  await s.text('a'.repeat(50) + '\n' + 'b'.repeat(50) + '\n');
  await s.toolStart('t', 'tool');
  await s.text('c'.repeat(30));
  await s.close('done');
  expect(sent.map((x) => x.key)).toEqual(['k:seg:0', 'k:seg:1', 'k:seg:2']);
  expect(sent.map((x) => x.mention)).toEqual([true, false, false]);
  expect(sent.map((x) => x.message.text).join('')).toBe('a'.repeat(50) + '\n' + 'b'.repeat(50) + '\n' + 'c'.repeat(30));
});

it('keeps whitespace-only text for the next segment and sends nothing blank', async () => {
  const { sent, send } = recorder();
  const s = stream(send);
  await s.text('\n\n');
  await s.toolStart('t', 'tool');
  expect(sent).toHaveLength(0);
  await s.text('After.');
  await s.close('done');
  expect(sent.map((x) => x.message.text)).toEqual(['\n\nAfter.']);
  const empty = recorder();
  const e = stream(empty.send);
  await e.text('   ');
  await e.close('done');
  expect(empty.sent).toHaveLength(0);
});

it('keeps the pending text when a send fails, so nothing is lost on the next flush', async () => {
  let fail = true;
  const sent: string[] = [];
  const s = stream(async (_key, message) => {
    if (fail) throw new Error('network');
    sent.push(message.text);
    return { via: 'openapi', reused: false };
  });
  await s.text('Hello.');
  await expect(s.close('done')).rejects.toThrow('network');
  fail = false;
  await s.close('done');
  expect(sent).toEqual(['Hello.']);
});

it('the session routes events and finishes once', async () => {
  const { sent, send } = recorder();
  const session = new StreamingReplySession({ key: 'k', language: 'en', stream: stream(send, 6000), send, logger: silentReplyLogger });
  await session.onEvent({ type: 'conversation', conversationId: 'c' });
  await session.onEvent({ type: 'text', delta: 'Hi ' });
  await session.onEvent({ type: 'interrupt', operation: {}, prompt: 'from the event' });
  await session.finish({ text: 'Hi there', status: 'interrupted' }, { confirmUrl: 'https://c', rejectUrl: 'https://r' });
  await session.finish({ text: 'Hi there', status: 'interrupted' }, { confirmUrl: 'https://c', rejectUrl: 'https://r' });
  expect(sent.map((x) => x.key)).toEqual(['k:seg:0', 'k:interrupt']);
  expect(sent[0].message.text).toBe('Hi there');
  expect(sent[1].message.text).toContain('from the event');
});
