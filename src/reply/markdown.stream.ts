import { splitMarkdown } from '../dingtalk/outbound';
import { markdownSafeCut } from '../dingtalk/markdown-splitter';
import type { Language } from '../i18n';
import { segmentKey, type AnswerOutcome, type AnswerStream, type SendFn } from './answer-stream';
import { markdown, titleFor } from './reply-message';

export interface MarkdownAnswerStreamDeps {
  key: string;
  send: SendFn;
  language: Language;
  chunkBytes: number;
  /** @ the asker on the answer's first message (group webhook sends). */
  mentionFirst: boolean;
}

/**
 * Plain robot messages cannot be edited (fact sheet §4), so the answer goes out in segments at
 * natural boundaries only: the text so far when a tool starts (the user sees progress before a slow
 * tool; cut only at a markdown-safe point), and the rest when the run ends, with the End link in it. Never by timer, so no sentence is cut in half.
 *
 * Each segment is split with `splitMarkdown` (never truncated) and every chunk is its own message
 * keyed `${key}:seg:${n}`, n counting chunks across the whole answer. The same answer therefore maps
 * to the same keys, and a retried job skips every chunk the first attempt delivered (P15).
 */
export class MarkdownAnswerStream implements AnswerStream {
  private pending = '';
  private next = 0;
  private mentioned = false;

  constructor(private readonly deps: MarkdownAnswerStreamDeps) {}

  /** Chunks numbered so far (the next chunk's n). */
  get segmentsUsed(): number {
    return this.next;
  }

  async text(delta: string): Promise<void> {
    this.pending += delta;
  }

  async toolStart(_id: string, _title: string): Promise<void> {
    // Only what ends at a markdown-safe point goes out now; an open **…**, link, code block or
    // table waits for the rest of the answer.
    const cut = markdownSafeCut(this.pending, { complete: true });
    if (cut === 0) return;
    const rest = this.pending.slice(cut);
    this.pending = this.pending.slice(0, cut);
    await this.flush();
    // flush() keeps what it did not send (blank text); the held-back rest follows it.
    this.pending += rest;
  }

  async toolEnd(_id: string): Promise<void> {
    // Nothing to show: the text after the tool goes out at the next boundary.
  }

  /** The footer (the End link) rides in the answer's last message: one message per answer. */
  async close(_outcome: AnswerOutcome, footer?: string): Promise<boolean> {
    if (footer) this.pending = this.pending.trim() === '' ? footer : `${this.pending.replace(/\s+$/, '')}\n\n---\n${footer}`;
    await this.flush();
    return Boolean(footer);
  }

  /**
   * Sends what is pending. Whitespace-only text stays pending (DingTalk refuses a blank message, and
   * keeping it preserves the exact text for the next segment); at the end it is simply not shown.
   */
  async flush(): Promise<void> {
    if (this.pending.trim() === '') return;
    const text = this.pending;
    const chunks = splitMarkdown(text, { maxBytes: this.deps.chunkBytes });
    for (const chunk of chunks) {
      const n = this.next;
      // Numbered even when blank, so the numbering depends on the text alone.
      this.next += 1;
      if (chunk.trim() === '') continue;
      const mention = this.deps.mentionFirst && !this.mentioned;
      this.mentioned = true;
      await this.deps.send(segmentKey(this.deps.key, n), markdown(titleFor(chunk, this.deps.language), chunk), { mention });
    }
    // Cleared only after every chunk went out: a failed send rethrows and the job retries the answer.
    this.pending = '';
  }
}
