import type { OutgoingMessage } from './reply-message';
import type { SentMessage } from './message.sender';

/**
 * How an answer's text reaches the chat while the expert is still talking: as markdown messages
 * (`MarkdownAnswerStream`) or as one AI card updated in place (`CardAnswerStream`). The session feeds
 * it in event order and awaits each call, so a slow DingTalk slows the expert's stream down (the
 * runner awaits `onEvent`) instead of queueing text in memory.
 */
export interface AnswerStream {
  text(delta: string): Promise<void>;
  /** `title` is what the user may be shown (the tool's title, else its name). */
  toolStart(id: string, title: string): Promise<void>;
  toolEnd(id: string): Promise<void>;
  /**
   * The run is over: everything not yet shown goes out now. `footer` (the closing hint with its
   * link) is offered to the answer itself; true when the stream showed it, so no closing message
   * is needed. Only a card takes it: one card is one message whichever attempt finishes it, while
   * a separate robot message could be posted twice by a job retried after a crash mid-send.
   */
  close(outcome: AnswerOutcome, footer?: string): Promise<boolean>;
  /**
   * Cards only, after `close`: sets template variables that the card's callback buttons are bound
   * to (Confirm / Reject carrying their signed links). True when the card now shows them. A card
   * button press comes back with the presser's id, which an opened link never has.
   */
  showButtons?(variables: Record<string, string>): Promise<boolean>;
}

export type AnswerOutcome = 'done' | 'interrupted' | 'error';

/** Sends one message of this answer's conversation under an idempotency key. */
export type SendFn = (key: string, message: OutgoingMessage, options?: { mention?: boolean }) => Promise<SentMessage>;

/** Key of the n-th markdown chunk of an answer (counted across the whole answer). */
export function segmentKey(key: string, n: number): string {
  return `${key}:seg:${n}`;
}
