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
    for (let i = lineIndexAt(this.layout, start) + 1; i < lines.length; i++) {
      const at = lines[i].start;
      const bodyBytes = byteLength(this.layout, start, at);
      if (bodyBytes > room) break;
      if (bodyBytes + utf8(this.closeSuffix(at)) > room) continue;
      if (this.fenceAt(at) !== null) {
        insideFence = at;
        continue;
      }
      line = at;
      const previous = lines[i - 1];
      if ((previous.blank && previous.fenceBefore === null) || previous.kind === 'close') paragraph = at;
    }
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
