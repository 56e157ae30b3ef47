import { RUN_STOPPED_CODE, type ExpertRunResult, type ExpertStreamEvent } from '../runner/expert-runner.port';
import { t, type Language } from '../i18n';
import type { AnswerOutcome, AnswerStream, SendFn } from './answer-stream';
import { endOfAnswerFooter, endOfAnswerMessage, expertErrorMessage, interruptMessage } from './final-actions';
import type { ReplyLogger } from './reply-options';
import { markdown } from './reply-message';
import type { ReplyActions, ReplySession } from './reply.port';

export interface StreamingReplySessionDeps {
  key: string;
  language: Language;
  stream: AnswerStream;
  send: SendFn;
  logger: ReplyLogger;
  /** A group conversation: Confirm / Reject go on the answer card's buttons when there is a card. */
  group?: boolean;
}

/**
 * One answer being delivered: runner events go to the answer stream (markdown or card) in order;
 * `finish` flushes what is left and adds the closing message of the turn:
 *  - idle        → `${key}:final`, the "End conversation" link (when the engine passes one), unless
 *                  the answer card already ends with it;
 *  - interrupted → `${key}:interrupt`, the prompt with Confirm / Reject links;
 *  - error       → `${key}:error`, a short localized apology (never silence).
 * Every send is keyed, so finishing a retried job again posts nothing twice (P15).
 */
export class StreamingReplySession implements ReplySession {
  private received = '';
  private interruptPrompt?: string;
  private done = false;

  constructor(private readonly deps: StreamingReplySessionDeps) {}

  async onEvent(event: ExpertStreamEvent): Promise<void> {
    if (this.done) return;
    switch (event.type) {
      case 'text':
        if (!event.delta) return;
        this.received += event.delta;
        return this.deps.stream.text(event.delta);
      case 'tool_start':
        return this.deps.stream.toolStart(event.id, event.title || event.name);
      case 'tool_end':
        return this.deps.stream.toolEnd(event.id);
      case 'interrupt':
        this.interruptPrompt = event.prompt;
        return;
      default:
        // `conversation` and `end`: `finish` acts on the run's result.
        return;
    }
  }

  async finish(result: ExpertRunResult, actions: ReplyActions): Promise<void> {
    if (this.done) return;
    await this.catchUp(result.text);
    const { key, language, send } = this.deps;
    if (result.errorCode === RUN_STOPPED_CODE) {
      // Stopped by the user: what was said so far stays, finalized (not an error) and marked stopped.
      const stopped = t(language, 'reply.stopped');
      const footer = [stopped, endOfAnswerFooter(language, actions)].filter(Boolean).join('\n\n');
      const shown = await this.deps.stream.close('done', footer);
      if (!shown) await send(`${key}:stopped`, markdown(stopped, footer), { mention: true });
      this.done = true;
      return;
    }
    const outcome: AnswerOutcome = result.status === 'error' ? 'error' : result.status === 'interrupted' ? 'interrupted' : 'done';
    const footerShown = await this.deps.stream.close(outcome, outcome === 'done' ? endOfAnswerFooter(language, actions) : undefined);
    if (outcome === 'interrupted') {
      // In a group only the asker may answer, and only a card click says who clicked: the buttons go
      // on the card, and the message carries no link anyone could open.
      const onCard = this.deps.group && actions.confirmUrl && actions.rejectUrl && this.deps.stream.showButtons
        ? await this.deps.stream.showButtons({
            confirmActionUrl: actions.confirmUrl,
            rejectActionUrl: actions.rejectUrl,
            confirmTitle: t(language, 'reply.confirm'),
            rejectTitle: t(language, 'reply.reject'),
          })
        : false;
      const linkActions = onCard ? {} : actions;
      await send(`${key}:interrupt`, interruptMessage(language, result.interrupt?.prompt ?? this.interruptPrompt, linkActions), { mention: true });
    } else if (outcome === 'error') {
      this.deps.logger.debug(`reply ${key}: run ended with an error (${result.errorCode ?? 'no code'}); telling the user`);
      await send(`${key}:error`, expertErrorMessage(language), { mention: true });
    } else if (!footerShown) {
      const closing = endOfAnswerMessage(language, actions);
      if (closing) await send(`${key}:final`, closing);
    }
    // Only after everything went out: a failed finish may be called again and resends nothing twice.
    this.done = true;
  }

  /**
   * The result carries the whole text. If the caller fed fewer deltas than that (or none), the
   * missing tail is added, so the answer is complete however the events were wired.
   */
  private async catchUp(fullText: string | undefined): Promise<void> {
    if (!fullText || fullText.length <= this.received.length) return;
    if (!fullText.startsWith(this.received)) {
      this.deps.logger.debug(`reply ${this.deps.key}: result text differs from the streamed text; keeping what was streamed`);
      return;
    }
    const tail = fullText.slice(this.received.length);
    this.received = fullText;
    await this.deps.stream.text(tail);
  }
}
