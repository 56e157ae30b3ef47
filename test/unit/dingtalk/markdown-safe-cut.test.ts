import { inlineBalanced, markdownSafeCut, splitMarkdown } from '../../../src/dingtalk/markdown-splitter';

describe('markdown-safe cut points', () => {
  it('never inside **…**, a link or a code span of the paragraph', () => {
    expect(markdownSafeCut('**You said:**\n')).toBe('**You said:**\n'.length);
    expect(markdownSafeCut('**You said:\nstill bold')).toBe(0);
    expect(markdownSafeCut('**You said:\nstill bold**\n')).toBe('**You said:\nstill bold**\n'.length);
    expect(markdownSafeCut('See [the docs\n')).toBe(0);
    expect(markdownSafeCut('See [the docs](https://x.example\n')).toBe(0);
    expect(markdownSafeCut('Use `npm\n')).toBe(0);
    expect(markdownSafeCut('Done.\n\nUse `npm')).toBe('Done.\n\n'.length);
    expect(inlineBalanced('a \\*\\* b')).toBe(true);
    expect(inlineBalanced('`**` is bold syntax')).toBe(true);
  });

  it('never inside a code fence or between two table rows', () => {
    const fenced = 'Intro\n```ts\nconst a = 1;\n';
    expect(markdownSafeCut(fenced)).toBe('Intro\n'.length);
    expect(markdownSafeCut(`${fenced}\`\`\`\n`)).toBe(`${fenced}\`\`\`\n`.length);
    const table = 'Results:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n';
    expect(markdownSafeCut(table)).toBe('Results:\n\n'.length);
    expect(markdownSafeCut(`${table}\nAfter.\n`)).toBe(`${table}\nAfter.\n`.length);
  });

  it('an unfinished last line is never cut, unless the text is complete and balanced', () => {
    expect(markdownSafeCut('Hello wor')).toBe(0);
    expect(markdownSafeCut('')).toBe(0);
    expect(markdownSafeCut('Let me look.', { complete: true })).toBe('Let me look.'.length);
    // The sandbox's `/tool` answer cut at its tool call: the bold is still open, nothing goes yet.
    expect(markdownSafeCut('**You said:*', { complete: true })).toBe(0);
    expect(markdownSafeCut('Intro\n\n**You said:*', { complete: true })).toBe('Intro\n\n'.length);
    expect(markdownSafeCut('| a | b |', { complete: true })).toBe(0);
  });

  it('size splits prefer line ends that keep bold text and table rows together', () => {
    const rows = Array.from({ length: 12 }, (_, i) => `| row ${i} | value ${i} |`).join('\n');
    const text = `${'Intro paragraph. '.repeat(3)}\n\n| name | value |\n|---|---|\n${rows}\n\n**bold start\n${'x'.repeat(20)} bold end**\n`;
    const chunks = splitMarkdown(text, { maxBytes: 200 });
    expect(chunks.join('')).toBe(text);
    for (const chunk of chunks) expect(inlineBalanced(chunk)).toBe(true);
  });
});
