import { DingTalkError } from '../kernel/errors';
import {
  byteLength,
  classifyLine,
  type Fence,
  layoutMarkdown,
  lineIndexAt,
  type MarkdownLayout,
  splitsCodePoint,
} from './markdown-layout';

/**
 * Default chunk size. A robot `msgParam` may hold 15 000 bytes of JSON. JSON escaping at most
 * doubles the usual characters of a markdown answer (`"`, `\`, newline, tab), so 6 000 bytes of
 * text stay below 12 000 bytes escaped, leaving room for the title, the JSON keys and a re-opened
 * code fence. (Rare C0 control characters escape to six bytes; the builders still check the final size.)
 */
export const MARKDOWN_CHUNK_MAX_BYTES = 6_000;
/** Below this a re-opened fence could leave no room for content. */
export const MARKDOWN_CHUNK_MIN_BYTES = 64;

export interface SplitMarkdownOptions {
  maxBytes?: number;
}

/** One chunk: `body` is an exact slice of the input; `prefix`/`suffix` re-open/close a split code block. */
export interface MarkdownChunk {
  prefix: string;
  body: string;
  suffix: string;
  /** prefix + body + suffix: what to send. */
  text: string;
}

/** Splits markdown into chunks of at most `maxBytes` UTF-8 bytes; nothing is dropped. */
export function splitMarkdown(text: string, options: SplitMarkdownOptions = {}): string[] {
  return splitMarkdownChunks(text, options).map((chunk) => chunk.text);
}

/**
 * Like splitMarkdown, with the parts of each chunk. Concatenating the bodies gives back the input
 * exactly. Break preference: after a blank line (or a closed code block), then any line end, then
 * a line end inside a code block (closing the fence and re-opening it with the same info string in
 * the next chunk), and only for a single over-long line a space or any character boundary.
 */
export function splitMarkdownChunks(text: string, options: SplitMarkdownOptions = {}): MarkdownChunk[] {
  const maxBytes = options.maxBytes ?? MARKDOWN_CHUNK_MAX_BYTES;
  if (!Number.isInteger(maxBytes) || maxBytes < MARKDOWN_CHUNK_MIN_BYTES) {
    throw new DingTalkError(
      'dingtalk_message_invalid',
      `Markdown chunks must allow at least ${MARKDOWN_CHUNK_MIN_BYTES} bytes.`,
      400,
      { reason: 'chunk_size', maxBytes },
    );
  }
  if (typeof text !== 'string' || text.length === 0) return [];
  return new ChunkPlanner(layoutMarkdown(text), maxBytes).plan();
}

/**
 * How much of a growing answer can be sent now without breaking its markdown: the end of the last
 * complete line that is outside a code fence, not between two rows of a table, and leaves no
 * inline construct open in its paragraph (`**…**`, `__…__`, `` `…` ``, `[…](…)`). 0 when no such
 * point exists yet. Used where an answer is cut for a reason other than size (a tool call starts).
 * With `complete` the text so far is known to be whole (the model stopped to call a tool), so its
 * very end is a candidate too.
 */
export function markdownSafeCut(text: string, options: { complete?: boolean } = {}): number {
  if (typeof text !== 'string' || text.length === 0) return 0;
  const layout = layoutMarkdown(text);
  const { lines } = layout;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    if (line.end === line.contentEnd) {
      // The last line without its line break: still being written, unless the text is complete.
      if (options.complete && line.kind === 'text' && line.fenceBefore === null && !isTableRow(text.slice(line.start, line.contentEnd)) && inlineBalanced(paragraphBefore(layout, i))) return text.length;
      continue;
    }
    if (isSafeLineEnd(layout, i)) return line.end;
  }
  return 0;
}

/** A cut after line `i` keeps fences, tables and inline markup of both sides whole. */
function isSafeLineEnd(layout: MarkdownLayout, i: number): boolean {
  const { lines, text } = layout;
  const line = lines[i];
  const next = lines[i + 1];
  // Inside a code block after this line (an opener, or a line of an open block): never here.
  if (line.kind === 'open' || (line.kind === 'text' && line.fenceBefore !== null)) return false;
  const content = text.slice(line.start, line.contentEnd);
  if (isTableRow(content) && (!next || isTableRow(text.slice(next.start, next.contentEnd)) || next.end === next.contentEnd)) return false;
  return inlineBalanced(paragraphBefore(layout, i));
}

function paragraphBefore(layout: MarkdownLayout, i: number): string {
  const { lines, text } = layout;
  let first = i;
  while (first > 0 && !lines[first - 1].blank && lines[first - 1].kind === 'text' && lines[first - 1].fenceBefore === null) first--;
  if (lines[i].fenceBefore !== null || lines[i].kind !== 'text') return '';
  return text.slice(lines[first].start, lines[i].contentEnd);
}

function isTableRow(line: string): boolean {
  return /^\s*\|/.test(line);
}

/** No emphasis, code span or link left open (escaped markers and code span contents do not count). */
export function inlineBalanced(paragraph: string): boolean {
  const text = paragraph.replace(/\\./g, '');
  // Code spans first: their contents are literal.
  const ticks = text.match(/`+/g) ?? [];
  const spans = new Map<number, number>();
  for (const run of ticks) spans.set(run.length, (spans.get(run.length) ?? 0) + 1);
  for (const count of spans.values()) if (count % 2 !== 0) return false;
  const outside = text.replace(/(`+)[\s\S]*?\1/g, '');
  if (((outside.match(/\*\*/g) ?? []).length) % 2 !== 0) return false;
  if (((outside.match(/__/g) ?? []).length) % 2 !== 0) return false;
  const opens = (outside.match(/\[/g) ?? []).length;
  const closes = (outside.match(/\]/g) ?? []).length;
  if (opens !== closes) return false;
  if (/\]\([^)]*$/.test(outside)) return false;
  return true;
}

class ChunkPlanner {
  private readonly text: string;

  constructor(
    private readonly layout: MarkdownLayout,
    private readonly maxBytes: number,
  ) {
    this.text = layout.text;
  }

  plan(): MarkdownChunk[] {
    const chunks: MarkdownChunk[] = [];
    let start = 0;
    while (start < this.text.length) {
      const prefix = this.reopenPrefix(this.fenceAt(start));
      const room = this.maxBytes - utf8(prefix);
      if (byteLength(this.layout, start, this.text.length) <= room) {
        chunks.push(chunk(prefix, this.text.slice(start), ''));
        break;
      }
      const end = this.chooseBreak(start, room);
      chunks.push(chunk(prefix, this.text.slice(start, end), this.closeSuffix(end)));
      start = end;
    }
    return chunks;
  }

  private chooseBreak(start: number, room: number): number {
    const { lines } = this.layout;
    let paragraph = -1;
    let line = -1;
    let insideFence = -1;
    let unsafe = -1;
    for (let i = lineIndexAt(this.layout, start) + 1; i < lines.length; i++) {
      const at = lines[i].start;
      const bodyBytes = byteLength(this.layout, start, at);
      if (bodyBytes > room) break;
      if (bodyBytes + utf8(this.closeSuffix(at)) > room) continue;
      if (this.fenceAt(at) !== null) {
        insideFence = at;
        continue;
      }
      const previous = lines[i - 1];
      // A line break inside a table or an open **…** / link / code span breaks its rendering:
      // only taken when nothing better fits (the fallbacks below).
      if (!isSafeLineEnd(this.layout, i - 1) && !(previous.blank && previous.fenceBefore === null) && previous.kind !== 'close') {
        if (unsafe < 0 || at > unsafe) unsafe = at;
        continue;
      }
      line = at;
      if ((previous.blank && previous.fenceBefore === null) || previous.kind === 'close') paragraph = at;
    }
    if (line <= start && unsafe > start) line = unsafe;
    if (line > start) {
      // A paragraph break wins unless it would waste more than half of what a line break keeps.
      const keepsEnough = paragraph > start && 2 * byteLength(this.layout, start, paragraph) >= byteLength(this.layout, start, line);
      return keepsEnough ? paragraph : line;
    }
    if (insideFence > start) return insideFence;
    return this.breakInsideLine(start, room);
  }

  /** Only for a line longer than a chunk: a space in the second half, else the last safe character boundary. */
  private breakInsideLine(start: number, room: number): number {
    const line = this.layout.lines[lineIndexAt(this.layout, start)];
    const fence = this.fenceAt(start);
    const budget = room - (fence ? utf8(`\n${fence.indent}${fence.marker}`) : 0);
    const last = Math.min(this.lastIndexWithin(start, budget), line.contentEnd);
    const safe = (pos: number) => pos > start && !splitsCodePoint(this.text, pos) && this.keepsLineKinds(line.start, start, pos, fence);

    for (let pos = last; pos > start && 2 * byteLength(this.layout, start, pos) >= budget; pos--) {
      if ((this.text[pos - 1] === ' ' || this.text[pos - 1] === '\t') && safe(pos)) return pos;
    }
    for (let pos = last; pos > start; pos--) if (safe(pos)) return pos;
    // Degenerate input (a fence line longer than a chunk): cut anyway, one whole code point at least.
    if (last > start && !splitsCodePoint(this.text, last)) return last;
    return start + (splitsCodePoint(this.text, start + 1) ? 2 : 1);
  }

  /** Both halves of a split line must still read as plain lines, not as fence delimiters. */
  private keepsLineKinds(lineStart: number, chunkStart: number, pos: number, fence: Fence | null): boolean {
    const line = this.layout.lines[lineIndexAt(this.layout, pos)];
    if (line.kind !== 'text') return false;
    const head = this.text.slice(Math.max(lineStart, chunkStart), pos);
    const tail = this.text.slice(pos, line.contentEnd);
    return classifyLine(head, fence).kind === 'text' && classifyLine(tail, fence).kind === 'text';
  }

  private lastIndexWithin(start: number, budget: number): number {
    const offsets = this.layout.cumulativeBytes;
    let low = start;
    let high = this.text.length;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (offsets[mid] - offsets[start] <= budget) low = mid;
      else high = mid - 1;
    }
    return splitsCodePoint(this.text, low) ? low - 1 : low;
  }

  /** The splittable fence open at `pos`; a fence too long to repeat is treated as plain text. */
  private fenceAt(pos: number): Fence | null {
    if (pos === 0) return null;
    const fence = this.layout.lines[lineIndexAt(this.layout, pos)].fenceBefore;
    return fence && this.reopenPrefix(fence) !== '' ? fence : null;
  }

  private reopenPrefix(fence: Fence | null): string {
    if (!fence) return '';
    const limit = this.maxBytes / 4;
    const full = `${fence.openerLine}\n`;
    if (utf8(full) <= limit) return full;
    const bare = `${fence.indent}${fence.marker}\n`;
    return utf8(bare) <= limit ? bare : '';
  }

  private closeSuffix(end: number): string {
    const fence = this.fenceAt(end);
    if (!fence) return '';
    return `${this.text[end - 1] === '\n' ? '' : '\n'}${fence.indent}${fence.marker}`;
  }
}

function chunk(prefix: string, body: string, suffix: string): MarkdownChunk {
  return { prefix, body, suffix, text: prefix + body + suffix };
}

function utf8(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}
