import { logRef } from '../kernel/log-value';
import { randomUUID } from 'node:crypto';
import { createOrAdoptCard } from '../delivery/card-delivery';
import { cardCallbackRouteKey } from '../dingtalk/card-route-key';
import type { StreamPacer } from '../delivery/stream-pacer';
import { isDingTalkApiError, type DingTalkClient } from '../dingtalk/client';
import { toCardData } from '../dingtalk/outbound';
import { isDingTalkError } from '../kernel/errors';
import { t, type Language } from '../i18n';
import type { Queryable } from '../persistence/database';
import type { OutboxRepository } from '../persistence/outbox.repository';
import { segmentKey, type AnswerOutcome, type AnswerStream } from './answer-stream';
import type { CardSpace } from './card-target';
import { layoutCardText, withToolStatus } from './card-text.layout';
import type { MarkdownAnswerStream } from './markdown.stream';
import type { CardCallbackType, ReplyLogger } from './reply-options';
import type { ReplyTarget } from '../kernel/run-context';
import type { UpdateThrottle } from './update-throttle';

export interface CardAnswerStreamDeps {
  key: string;
  target: ReplyTarget;
  client: DingTalkClient;
  db: Queryable;
  outbox: OutboxRepository;
  space: CardSpace;
  outTrackId: string;
  cardTemplateId: string;
  callbackType?: CardCallbackType;
  contentKey: string;
  capBytes: number;
  finalizeAttempts: number;
  language: Language;
  throttle: UpdateThrottle;
  /** The streaming budget shared by the answers of this client. */
  pacer?: StreamPacer;
  /** Who streams the card (this replica): a card whose owner died is finalized by another. */
  owner: string;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  logger: ReplyLogger;
  /** Markdown segments: the card's overflow, or the whole answer when no card can be made. */
  markdown: (options: { mention: boolean }) => MarkdownAnswerStream;
}

/**
 * The answer streamed into ONE AI card (fact sheet §5a): created with the first text, then updated
 * in place with the whole text so far (`isFull`), at most once per interval and only when the text
 * changed; finalized (`isFinalize`, `isError` for a failed run) with the complete text. Updates are
 * paced by the event stream itself (no background timer); at a tool start the stream waits out the
 * interval so the card is current while the tool runs.
 *
 * Exactly one card per answer: the card is outbox row `${key}:card` with an outTrackId derived from
 * the key (`createOrAdoptCard`), so a retried job — or a create whose answer was lost, which DingTalk
 * answers `param.cardAlreadyExist` — finds the card and continues updating it. If a card cannot be
 * made (template unpublished, permission missing, not deliverable), the answer goes out as markdown
 * instead, and a retry that finds markdown segment 0 already sent stays with markdown. While it
 * streams, the row names its owner; a card whose owner died is finalized by another replica.
 * A final update DingTalk keeps refusing for rate degrades to a markdown answer (the card is left
 * to that sweep).
 */
export class CardAnswerStream implements AnswerStream {
  private mode: 'pending' | 'card' | 'markdown' = 'pending';
  private answer = '';
  private readonly tools = new Map<string, string>();
  /** Content the card shows now; undefined when unknown (a card resumed from an earlier attempt). */
  private shown: string | undefined;
  private md?: MarkdownAnswerStream;
  private rowId?: string;

  constructor(private readonly deps: CardAnswerStreamDeps) {}

  async text(delta: string): Promise<void> {
    this.answer += delta;
    if (this.mode === 'markdown') return this.md!.text(delta);
    if (this.answer.trim() === '') return;
    if (this.mode === 'pending') return this.open();
    await this.update(false);
  }

  async toolStart(id: string, title: string): Promise<void> {
    if (this.mode === 'markdown') return this.md!.toolStart(id, title);
    this.tools.set(id, title);
    await this.update(true);
  }

  async toolEnd(id: string): Promise<void> {
    if (this.mode === 'markdown') return this.md!.toolEnd(id);
    // The status line disappears with the next update; no call just for that.
    this.tools.delete(id);
  }

  async close(outcome: AnswerOutcome, footer?: string): Promise<boolean> {
    this.tools.clear();
    if (this.mode === 'pending') {
      if (this.answer.trim() === '') return false; // nothing was said: no card at all
      await this.open();
    }
    if (this.mode === 'markdown') return this.md!.close(outcome, footer);
    const { cardText, overflow } = layoutCardText(this.answer, this.deps.capBytes, t(this.deps.language, 'reply.continuedBelow'));
    // The footer belongs at the very end of the answer: with an overflow that is the last segment.
    const inCard = !!footer && overflow.trim() === '';
    if ((await this.finalize(inCard ? `${cardText}\n\n---\n${footer}` : cardText, outcome === 'error')) === 'markdown') {
      const whole = this.deps.markdown({ mention: true });
      await whole.text(this.answer);
      await whole.close(outcome);
      return false;
    }
    if (overflow.trim() === '') return inCard;
    const rest = this.deps.markdown({ mention: false });
    await rest.text(overflow);
    return rest.close(outcome, footer);
  }

  async showButtons(variables: Record<string, string>): Promise<boolean> {
    if (this.mode !== 'card') return false;
    await this.deps.client.updateCard({ outTrackId: this.deps.outTrackId, cardData: toCardData(variables), cardUpdateOptions: { updateCardDataByKey: true } });
    return true;
  }

  /** Card text plus, while a tool runs, its status line. */
  private display(): string {
    const { cardText } = layoutCardText(this.answer, this.deps.capBytes, t(this.deps.language, 'reply.continuedBelow'));
    const running = [...this.tools.values()].pop();
    return withToolStatus(cardText, running ? t(this.deps.language, 'reply.toolRunning', { name: running }) : undefined);
  }

  private async open(): Promise<void> {
    const { outbox, db, key } = this.deps;
    const cardKey = `${key}:card`;
    const earlier = await outbox.findByKey(cardKey);
    if (earlier && (earlier.status === 'sent' || earlier.status === 'recalled')) return this.resume(earlier.id);
    const firstSegment = await outbox.findByKey(segmentKey(key, 0));
    if (firstSegment?.status === 'sent') return this.toMarkdown('an earlier attempt answered in markdown');

    const content = this.display();
    const { space, outTrackId, cardTemplateId } = this.deps;
    let card;
    try {
      card = await createOrAdoptCard(
        db,
        outbox,
        {
          idempotencyKey: cardKey,
          integrationId: this.deps.target.integrationId,
          targetType: 'card',
          targetId: space.openSpaceId,
          messageKind: 'card',
          // What a replica finalizing an abandoned card needs (no message text).
          request: { cardTemplateId, outTrackId, openSpaceId: space.openSpaceId, contentKey: this.deps.contentKey, language: this.deps.language },
        },
        this.deps.now(),
        this.deps.client,
        {
          cardTemplateId,
          outTrackId,
          cardData: toCardData({ [this.deps.contentKey]: content }),
          ...space,
          ...(this.deps.callbackType ? { callbackType: this.deps.callbackType } : {}),
          // HTTP callbacks reach us only through our registered route (and are signed for it).
          ...(this.deps.callbackType === 'HTTP' ? { callbackRouteKey: cardCallbackRouteKey(this.deps.target.integrationId) } : {}),
        },
        { stream: { owner: this.deps.owner } },
      );
    } catch (error) {
      // Throttling, 5xx, timeouts and a create still in flight: the card may or may not exist; the
      // job retry creates it or adopts it.
      if (!isDingTalkError(error) || (isDingTalkApiError(error) && error.retryable) || error.code === 'delivery_in_flight') throw error;
      return this.toMarkdown(`no card (${error.code})`);
    }
    this.rowId = card.row.id;
    if (card.reused || card.adopted) {
      if (card.adopted) this.deps.logger.debug(`reply ${key}: DingTalk already had this answer's card; streaming into it`);
      return this.resume(card.row.id);
    }
    this.mode = 'card';
    this.shown = content;
    this.deps.throttle.updated(this.deps.now());
  }

  private async resume(rowId: string): Promise<void> {
    this.rowId = rowId;
    // Take the card over; one finalized meanwhile (its owner was gone too long) stays as it is.
    if (!(await this.deps.outbox.startCardStream(rowId, this.deps.owner))) return this.toMarkdown('the card was already finalized as interrupted');
    this.mode = 'card';
    this.shown = undefined;
    this.deps.logger.debug(`reply ${this.deps.key}: continuing the card of an earlier attempt`);
    await this.update(false);
  }

  private async toMarkdown(reason: string): Promise<void> {
    this.deps.logger.warn(`reply ${logRef(this.deps.key)}: answering in markdown instead of a card: ${reason}`);
    this.mode = 'markdown';
    this.md = this.deps.markdown({ mention: true });
    await this.md.text(this.answer);
  }

  /** A throttled or failed intermediate update is skipped: the next one (or the final) carries all text. */
  private async update(atBoundary: boolean): Promise<void> {
    if (this.mode !== 'card') return;
    const content = this.display();
    if (content === this.shown) return;
    const wait = this.deps.throttle.waitMs(this.deps.now());
    if (wait > 0) {
      if (!atBoundary) return;
      await this.deps.sleep(wait);
    }
    this.deps.pacer?.touch(this.deps.key, this.deps.now());
    try {
      await this.stream(content, false, false);
      this.shown = content;
      this.deps.throttle.updated(this.deps.now());
    } catch (error) {
      if (!isDingTalkError(error)) throw error;
      if (error.code === 'dingtalk_api_throttled') {
        this.deps.throttle.throttled(this.deps.now());
        this.deps.logger.debug(`reply ${this.deps.key}: card update throttled; one update per ${this.deps.throttle.intervalMs} ms from now`);
      } else {
        this.deps.throttle.updated(this.deps.now());
        this.deps.logger.warn(`reply ${logRef(this.deps.key)}: card update failed (${error.code}); the final update carries the text`);
      }
    }
  }

  /**
   * The final text must land: retried (with a growing pause) on throttling and transient errors.
   * After repeated refusal for rate, the answer goes out as markdown instead and the card is left
   * to the sweep that finalizes abandoned cards; other errors surface (the job retries).
   */
  private async finalize(content: string, isError: boolean): Promise<'card' | 'markdown'> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.stream(content, true, isError);
        this.shown = content;
        this.deps.pacer?.leave(this.deps.key);
        if (this.rowId) await this.deps.outbox.finishCardStream(this.rowId);
        return 'card';
      } catch (error) {
        const throttled = isDingTalkApiError(error) && error.code === 'dingtalk_api_throttled';
        const transient = isDingTalkApiError(error) && (error.retryable || throttled);
        if (!transient) throw error;
        if (attempt >= this.deps.finalizeAttempts) {
          if (!throttled || !this.rowId) throw error;
          this.deps.pacer?.leave(this.deps.key);
          await this.deps.outbox.abandonCardStream(this.rowId);
          this.deps.logger.warn(`reply ${this.deps.key}: DingTalk kept refusing the final card update for rate; answering in markdown`);
          return 'markdown';
        }
        this.deps.throttle.throttled(this.deps.now());
        await this.deps.sleep(this.deps.throttle.intervalMs);
      }
    }
  }

  private stream(content: string, isFinalize: boolean, isError: boolean): Promise<void> {
    // A fresh guid per call: DingTalk drops a repeated guid, and a retried job must be able to
    // rewrite the card with new text. The client's own retries reuse the body, guid included.
    return this.deps.client.streamCard({
      outTrackId: this.deps.outTrackId,
      guid: randomUUID(),
      key: this.deps.contentKey,
      content,
      isFull: true,
      isFinalize,
      isError,
    });
  }
}
