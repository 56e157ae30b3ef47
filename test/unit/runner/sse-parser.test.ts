import fc from 'fast-check';
import { parseSse, SseMessage, SseParser } from '../../../src/runner/sse-parser';

/** Feeds `parts` one by one and collects every message, including those flushed by `end()`. */
function feed(parts: (string | Uint8Array)[]): SseMessage[] {
  const parser = new SseParser();
  const out: SseMessage[] = [];
  for (const part of parts) out.push(...parser.push(part));
  out.push(...parser.end());
  return out;
}

/** Cuts `whole` at the given (sorted, deduplicated) offsets. */
function cut<T extends string | Uint8Array>(whole: T, offsets: number[]): T[] {
  const points = [...new Set(offsets.map((o) => o % (whole.length + 1)))].sort((a, b) => a - b);
  const parts: T[] = [];
  let last = 0;
  for (const point of points) {
    parts.push(whole.slice(last, point) as T);
    last = point;
  }
  parts.push(whole.slice(last) as T);
  return parts;
}

const NEST_STREAM =
  '\n' +
  'id: 1\ndata: {"type":"event","event":"on_conversation_start","data":{"id":"c1"}}\n\n' +
  'id: 2\ndata: {"type":"message","data":{"type":"text","text":"你好 👋"}}\n\n' +
  ': a comment line\n' +
  'id: 3\ndata: : keep-alive\ndata: \ndata: \n\n' +
  'event: error\nid: 4\ndata: boom\n\n';

describe('SseParser', () => {
  it('parses Nest framing: leading blank line, id + data, plain-text error event', () => {
    expect(parseSse(NEST_STREAM)).toEqual([
      { id: '1', data: '{"type":"event","event":"on_conversation_start","data":{"id":"c1"}}' },
      { id: '2', data: '{"type":"message","data":{"type":"text","text":"你好 👋"}}' },
      { id: '3', data: ': keep-alive\n\n' },
      { event: 'error', id: '4', data: 'boom' },
    ]);
  });

  it('joins multiple data lines with \\n and strips exactly one leading space', () => {
    expect(parseSse('data: a\ndata:b\ndata:  c\n\n')).toEqual([{ data: 'a\nb\n c' }]);
  });

  it('ignores comment lines and unknown fields, and treats a bare field name as empty', () => {
    expect(parseSse(': ping\nretry: 10\nfoo: bar\ndata\ndata: x\n\n')).toEqual([{ data: '\nx' }]);
  });

  it('accepts CRLF, CR and LF line endings, also mixed', () => {
    expect(parseSse('data: a\r\n\r\ndata: b\r\rdata: c\n\n')).toEqual([{ data: 'a' }, { data: 'b' }, { data: 'c' }]);
  });

  it('does not read a CRLF split across chunks as two line breaks', () => {
    expect(feed(['data: a\r', '\ndata: b\r', '\n\r', '\n'])).toEqual([{ data: 'a\nb' }]);
  });

  it('does not dispatch an event without data, and resets the event type after each dispatch', () => {
    expect(parseSse('event: lonely\n\nevent: named\ndata: 1\n\ndata: 2\n\n')).toEqual([
      { event: 'named', data: '1' },
      { data: '2' },
    ]);
  });

  it('keeps the last event id across events and ignores ids containing NUL', () => {
    expect(parseSse('id: 7\ndata: a\n\ndata: b\n\nid: x\u0000y\ndata: c\n\n')).toEqual([
      { id: '7', data: 'a' },
      { id: '7', data: 'b' },
      { id: '7', data: 'c' },
    ]);
  });

  it('strips a leading BOM from strings and from bytes', () => {
    expect(parseSse('\ufeffdata: a\n\n')).toEqual([{ data: 'a' }]);
    expect(parseSse(Buffer.from('\ufeffdata: a\n\n', 'utf8'))).toEqual([{ data: 'a' }]);
  });

  it('discards an event the stream cut off before its blank line', () => {
    expect(parseSse('data: done\n\ndata: {"trunc')).toEqual([{ data: 'done' }]);
    expect(parseSse('data: almost\n')).toEqual([]);
  });

  it('decodes multi-byte characters split across byte chunks', () => {
    const bytes = Buffer.from('data: 钉钉🤖\n\n', 'utf8');
    const parts = Array.from(bytes, (byte) => Uint8Array.of(byte));
    expect(feed(parts)).toEqual([{ data: '钉钉🤖' }]);
  });

  it('gives the same messages for any string chunking (fuzz)', () => {
    const expected = parseSse(NEST_STREAM);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: NEST_STREAM.length }), { maxLength: 40 }), (offsets) => {
        expect(feed(cut(NEST_STREAM, offsets))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same messages for any byte chunking, even mid UTF-8 (fuzz)', () => {
    const crlf = NEST_STREAM.replace(/\n/g, '\r\n');
    const bytes = new Uint8Array(Buffer.from(crlf, 'utf8'));
    const expected = parseSse(crlf);
    expect(expected).toEqual(parseSse(NEST_STREAM));
    fc.assert(
      fc.property(fc.array(fc.nat({ max: bytes.length }), { maxLength: 60 }), (offsets) => {
        expect(feed(cut(bytes, offsets))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary text or bytes (fuzz)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'binary' }), fc.uint8Array())), (parts) => {
        const messages = feed(parts);
        for (const message of messages) expect(typeof message.data).toBe('string');
      }),
      { numRuns: 300 },
    );
  });
});
