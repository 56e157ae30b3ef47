import fc from 'fast-check';
import { DingTalkError } from '../../../src/kernel/errors';
import {
  markdownMessage,
  MARKDOWN_CHUNK_MAX_BYTES,
  splitMarkdown,
  splitMarkdownChunks,
} from '../../../src/dingtalk/outbound';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * Independent fence check for the tests: true when every fence opened in `text` is closed again.
 * Same reading as CommonMark (a closing run of the same character, at least as long, alone on its line).
 */
function fencesBalanced(text: string): boolean {
  let open: string | null = null;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    if (open === null) {
      const m = /^[ \t]*(`{3,}|~{3,})(.*)$/.exec(line);
      if (m && !(m[1][0] === '`' && m[2].includes('`'))) open = m[1];
    } else {
      const m = /^[ \t]*(`{3,}|~{3,})[ \t]*$/.exec(line);
      if (m && m[1][0] === open[0] && m[1].length >= open.length) open = null;
    }
  }
  return open === null;
}

describe('splitMarkdown — examples', () => {
  it('returns short text unchanged and nothing for empty text', () => {
    expect(splitMarkdown('# hi\n\nthere')).toEqual(['# hi\n\nthere']);
    expect(splitMarkdown('')).toEqual([]);
  });

  it('prefers paragraph boundaries over line boundaries', () => {
    const para = (c: string) => `${c.repeat(30)}\n${c.repeat(30)}\n\n`;
    const text = para('a') + para('b') + para('c');
    const chunks = splitMarkdown(text, { maxBytes: 140 });
    expect(chunks).toEqual([para('a') + para('b'), para('c')]);
    expect(chunks.join('')).toBe(text);
  });

  it('takes a paragraph boundary over a farther line boundary when it keeps at least half', () => {
    const para = (c: string) => `${c.repeat(30)}\n${c.repeat(30)}\n\n`;
    const text = para('a') + para('b') + para('c');
    expect(splitMarkdown(text, { maxBytes: 100 })).toEqual([para('a'), para('b'), para('c')]);
  });

  it('uses a line boundary when the nearest paragraph boundary would waste over half the chunk', () => {
    const text = `short\n\n${'x'.repeat(40)}\n${'y'.repeat(40)}\n${'z'.repeat(40)}\n`;
    const chunks = splitMarkdown(text, { maxBytes: 100 });
    expect(chunks[0]).toBe(`short\n\n${'x'.repeat(40)}\n${'y'.repeat(40)}\n`);
    expect(chunks.join('')).toBe(text);
  });

  it('splits before a code block rather than inside it', () => {
    const code = '```ts\nconst a = 1;\nconst b = 2;\n```\n';
    const text = `${'intro line\n'.repeat(5)}${code}`;
    const chunks = splitMarkdown(text, { maxBytes: 64 });
    expect(chunks).toEqual(['intro line\n'.repeat(5), code]);
  });

  it('closes and re-opens a code block longer than a chunk, keeping its info string', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `print(${i})  # 行 ${i}`);
    const text = `Answer:\n\n\`\`\`python\n${lines.join('\n')}\n\`\`\`\n\nDone.`;
    const chunks = splitMarkdownChunks(text, { maxBytes: 200 });
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) {
      expect(bytes(chunk.text)).toBeLessThanOrEqual(200);
      expect(fencesBalanced(chunk.text)).toBe(true);
    }
    expect(chunks.filter((c) => c.prefix !== '').length).toBeGreaterThan(1);
    expect(chunks.every((c) => c.prefix === '' || c.prefix === '```python\n')).toBe(true);
    expect(chunks.every((c) => c.suffix === '' || c.suffix === '```')).toBe(true);
    expect(chunks.map((c) => c.body).join('')).toBe(text);
    // No code line is cut: every line of the code appears whole in some chunk.
    for (const line of lines) expect(chunks.some((c) => c.text.split('\n').includes(line))).toBe(true);
  });

  it('cuts a single over-long line at a space, never inside a multi-byte character', () => {
    const text = '你好世界 '.repeat(100);
    const chunks = splitMarkdown(text, { maxBytes: 100 });
    expect(chunks.join('')).toBe(text);
    for (const chunk of chunks) {
      expect(bytes(chunk)).toBeLessThanOrEqual(100);
      expect(chunk.endsWith(' ') || chunk === chunks[chunks.length - 1]).toBe(true);
      expect(chunk).not.toContain('\uFFFD');
    }
  });

  it('cuts a line with no spaces at code point boundaries, including emoji', () => {
    const text = '😀'.repeat(100);
    const chunks = splitMarkdown(text, { maxBytes: 64 });
    expect(chunks.join('')).toBe(text);
    expect(chunks.every((c) => bytes(c) <= 64 && Buffer.from(c, 'utf8').toString('utf8') === c && !/^[\uDC00-\uDFFF]/.test(c))).toBe(
      true,
    );
  });

  it('does not cut a long line where its second half would read as a code fence', () => {
    const text = `${'a'.repeat(60)}😀\`\`\`${'b'.repeat(100)}`;
    const chunks = splitMarkdown(text, { maxBytes: 64 });
    expect(chunks[0]).toBe('a'.repeat(60));
    expect(chunks[1].startsWith('😀```')).toBe(true);
    expect(chunks.join('')).toBe(text);
  });

  it('default chunks fit DingTalk msgParam even when JSON escaping doubles them', () => {
    const worst = '"\\\n'.repeat(10_000);
    for (const chunk of splitMarkdown(worst)) {
      expect(bytes(chunk)).toBeLessThanOrEqual(MARKDOWN_CHUNK_MAX_BYTES);
      expect(() => markdownMessage('回答（续）', chunk)).not.toThrow();
    }
  });

  it('rejects a chunk size too small to hold a re-opened fence', () => {
    expect(() => splitMarkdown('x', { maxBytes: 10 })).toThrow(DingTalkError);
  });
});

describe('splitMarkdown — properties', () => {
  // Markdown-like text: prose lines (never starting with a fence character), fence lines, blank lines.
  const word = fc.constantFrom('a', 'word', 'é', '中文', '😀', '`code`', '**b**', '"q"', '\\', '```', '~~~', '\t', ' ', '  ');
  const prose = fc.array(word, { maxLength: 60 }).map((words) => `p${words.join(' ')}`);
  const fenceLine = fc.constantFrom('```', '```ts', '~~~', '````md', '```json', '  ```', '~~~~');
  // Some lines longer than a chunk, so the mid-line fallback is exercised too.
  const longProse = fc.array(word, { minLength: 30, maxLength: 200, size: 'max' }).map((words) => `p${words.join('')}`);
  const line = fc.oneof(
    { weight: 6, arbitrary: prose },
    { weight: 1, arbitrary: longProse },
    { weight: 2, arbitrary: fenceLine },
    { weight: 2, arbitrary: fc.constant('') },
  );
  const eol = fc.constantFrom('\n', '\n', '\n', '\r\n');
  const markdown = fc
    .array(fc.tuple(line, eol), { minLength: 5, maxLength: 150 })
    .chain((pairs) => fc.boolean().map((trailing) => pairs.map(([l, e]) => l + e).join('') + (trailing ? 'tail' : '')));
  const maxBytes = fc.integer({ min: 64, max: 300 });

  it('every chunk fits, and the bodies rebuild the text exactly, in order', () => {
    fc.assert(
      fc.property(markdown, maxBytes, (text, max) => {
        const chunks = splitMarkdownChunks(text, { maxBytes: max });
        for (const chunk of chunks) {
          expect(bytes(chunk.text)).toBeLessThanOrEqual(max);
          expect(chunk.body.length).toBeGreaterThan(0);
          expect(chunk.text).toBe(chunk.prefix + chunk.body + chunk.suffix);
        }
        expect(chunks.map((c) => c.body).join('')).toBe(text);
      }),
      { numRuns: 400 },
    );
  });

  it('chunks without added fence lines join back to the original', () => {
    fc.assert(
      fc.property(markdown, maxBytes, (text, max) => {
        const chunks = splitMarkdownChunks(text, { maxBytes: max });
        if (chunks.every((c) => c.prefix === '' && c.suffix === '')) expect(splitMarkdown(text, { maxBytes: max }).join('')).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it('each chunk has balanced fences when the text does', () => {
    fc.assert(
      fc.property(markdown, maxBytes, (text, max) => {
        const chunks = splitMarkdown(text, { maxBytes: max });
        const closedAt = fencesBalanced(text) ? chunks.length : chunks.length - 1;
        for (let i = 0; i < closedAt; i++) expect(fencesBalanced(chunks[i])).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('arbitrary Unicode (any code point) is preserved and never cut inside a character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 600 }), fc.integer({ min: 64, max: 300 }), (text, max) => {
        const chunks = splitMarkdownChunks(text, { maxBytes: max });
        expect(chunks.map((c) => c.body).join('')).toBe(text);
        for (const chunk of chunks) {
          expect(bytes(chunk.text)).toBeLessThanOrEqual(max);
          expect(/^[\uDC00-\uDFFF]/.test(chunk.body) || /[\uD800-\uDBFF]$/.test(chunk.body)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a long run of whole lines is never cut mid-line when lines are short', () => {
    fc.assert(
      fc.property(fc.array(prose.filter((l) => bytes(l) < 30), { minLength: 1, maxLength: 80 }), (lines) => {
        const text = `${lines.join('\n')}\n`;
        for (const chunk of splitMarkdown(text, { maxBytes: 64 })) expect(chunk.endsWith('\n')).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
