/**
 * The facts the markdown splitter needs about a text: UTF-8 byte offsets per UTF-16 index, its
 * lines, and which fenced code block (``` or ~~~) is open at the start of each line.
 */

export interface Fence {
  /** Leading whitespace of the opening line. */
  indent: string;
  /** The run of backticks or tildes, e.g. "```" or "~~~~". */
  marker: string;
  /** The opening line without its line break, e.g. "```ts". */
  openerLine: string;
}

export type LineKind = 'open' | 'close' | 'text';

export interface Line {
  start: number;
  /** Index of the terminating "\n", or the text length for an unterminated last line. */
  contentEnd: number;
  /** Start of the next line. */
  end: number;
  kind: LineKind;
  blank: boolean;
  /** The fence open when this line begins (null outside code blocks). */
  fenceBefore: Fence | null;
}

export interface MarkdownLayout {
  text: string;
  /** cumulativeBytes[i] = UTF-8 byte length of text.slice(0, i). */
  cumulativeBytes: Float64Array;
  lines: Line[];
}

const OPEN_PATTERN = /^([ \t]*)(`{3,}|~{3,})(.*)$/;
const CLOSE_PATTERN = /^[ \t]*(`{3,}|~{3,})[ \t]*$/;

export function layoutMarkdown(text: string): MarkdownLayout {
  return { text, cumulativeBytes: utf8Offsets(text), lines: scanLines(text) };
}

export function byteLength(layout: MarkdownLayout, from: number, to: number): number {
  return layout.cumulativeBytes[to] - layout.cumulativeBytes[from];
}

/** Index of the line holding position `pos` (binary search on line starts). */
export function lineIndexAt(layout: MarkdownLayout, pos: number): number {
  const { lines } = layout;
  let low = 0;
  let high = lines.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (lines[mid].start <= pos) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** How a line reads when `open` is the fence open before it (CommonMark rules, any indentation). */
export function classifyLine(content: string, open: Fence | null): { kind: LineKind; fence?: Fence } {
  const line = content.endsWith('\r') ? content.slice(0, -1) : content;
  if (open) {
    const close = CLOSE_PATTERN.exec(line);
    const closes = close !== null && close[1][0] === open.marker[0] && close[1].length >= open.marker.length;
    return { kind: closes ? 'close' : 'text' };
  }
  const opener = OPEN_PATTERN.exec(line);
  // A backtick fence's info string may not contain backticks (that is inline code instead).
  if (opener === null || (opener[2][0] === '`' && opener[3].includes('`'))) return { kind: 'text' };
  return { kind: 'open', fence: { indent: opener[1], marker: opener[2], openerLine: line } };
}

/** True when splitting at `pos` would cut a surrogate pair (one astral code point). */
export function splitsCodePoint(text: string, pos: number): boolean {
  if (pos <= 0 || pos >= text.length) return false;
  const before = text.charCodeAt(pos - 1);
  const after = text.charCodeAt(pos);
  return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff;
}

function scanLines(text: string): Line[] {
  const lines: Line[] = [];
  let open: Fence | null = null;
  let start = 0;
  while (start < text.length) {
    const newline = text.indexOf('\n', start);
    const contentEnd = newline === -1 ? text.length : newline;
    const end = newline === -1 ? text.length : newline + 1;
    const content = text.slice(start, contentEnd);
    const { kind, fence } = classifyLine(content, open);
    lines.push({ start, contentEnd, end, kind, blank: content.trim().length === 0, fenceBefore: open });
    if (kind === 'open') open = fence ?? null;
    if (kind === 'close') open = null;
    start = end;
  }
  return lines;
}

function utf8Offsets(text: string): Float64Array {
  const offsets = new Float64Array(text.length + 1);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) offsets[i + 1] = offsets[i] + 1;
    else if (code < 0x800) offsets[i + 1] = offsets[i] + 2;
    else if (splitsCodePoint(text, i + 1)) {
      // A surrogate pair is one 4-byte character; the low half adds nothing.
      offsets[i + 1] = offsets[i] + 4;
      offsets[i + 2] = offsets[i + 1];
      i++;
    } else offsets[i + 1] = offsets[i] + 3; // BMP character, or a lone surrogate (encoded as U+FFFD)
  }
  return offsets;
}
