import { MARKDOWN_CHUNK_MIN_BYTES, splitMarkdownChunks } from '../dingtalk/outbound';

/**
 * What the answer card shows, given the whole answer. Pure.
 *
 * A card holds about 3 KB of streamed text (fact sheet §5a), so a longer answer keeps the card at
 * the cap — cut where `splitMarkdown` would cut (paragraph, line, a code block closed properly) —
 * with a "continued below" note, and the rest goes out as markdown messages. `overflow` starts
 * exactly where the card's text stops (re-opening a split code block), so card + overflow lose
 * nothing.
 */
export interface CardTextLayout {
  cardText: string;
  overflow: string;
}

export function layoutCardText(text: string, capBytes: number, continuedNote: string): CardTextLayout {
  if (Buffer.byteLength(text, 'utf8') <= capBytes) return { cardText: text, overflow: '' };
  const note = `\n\n${continuedNote}`;
  const room = Math.max(MARKDOWN_CHUNK_MIN_BYTES, capBytes - Buffer.byteLength(note, 'utf8'));
  const [first, second] = splitMarkdownChunks(text, { maxBytes: room });
  return { cardText: `${first.text}${note}`, overflow: `${second?.prefix ?? ''}${text.slice(first.body.length)}` };
}

/** A transient status line while a tool runs; it is never part of the final card text. */
export function withToolStatus(cardText: string, status: string | undefined): string {
  if (!status) return cardText;
  return cardText.trim() === '' ? `> ${status}` : `${cardText}\n\n> ${status}`;
}
