import { randomUUID } from 'node:crypto';
import { isDingTalkApiError, type DingTalkClient } from '../dingtalk/client';
import { toCardData } from '../dingtalk/outbound';
import { DingTalkError, isDingTalkError } from '../errors';
import { t, type Language } from '../i18n';
import type { Queryable } from '../persistence/database';
import type { OutboxRepository } from '../persistence/outbox.repository';
import { segmentKey, type AnswerOutcome, type AnswerStream } from './answer-stream';
import type { CardSpace } from './card-target';
import { layoutCardText, withToolStatus } from './card-text.layout';
import type { MarkdownAnswerStream } from './markdown.stream';
import type { CardCallbackType, ReplyLogger } from './reply-options';
import type { ReplyTarget } from './reply.port';
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
 * the key, so a retried job finds it and continues updating it. If a card cannot be made (template
 * unpublished, permission missing, not deliverable), the answer goes out as markdown instead, and a
 * retry that finds markdown segment 0 already sent stays with markdown.
 */
export class CardAnswerStream implements AnswerStream {
  private mode: 'pending' | 'card' | 'markdown' = 'pending';
  private answer = '';
  private readonly tools = new Map<string, string>();
  /** Content the card shows now; undefined when unknown (a card resumed from an earlier attempt). */
  private shown: string | undefined;
  private md?: MarkdownAnswerStream;

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
    await this.finalize(inCard ? `${cardText}\n\n---\n${footer}` : cardText, outcome === 'error');
    if (overflow.trim() === '') return inCard;
    const rest = this.deps.markdown({ mention: false });
    await rest.text(overflow);
    return rest.close(outcome, footer);
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
    if (earlier && (earlier.status === 'sent' || earlier.status === 'recalled')) return this.resume();
    const firstSegment = await outbox.findByKey(segmentKey(key, 0));
    if (firstSegment?.status === 'sent') return this.toMarkdown('an earlier attempt answered in markdown');

    const { row, created } = await outbox.reserve(db, {
      idempotencyKey: cardKey,
      integrationId: this.deps.target.integrationId,
      targetType: 'card',
      targetId: this.deps.space.openSpaceId,
      messageKind: 'card',
      request: { cardTemplateId: this.deps.cardTemplateId, outTrackId: this.deps.outTrackId, openSpaceId: this.deps.space.openSpaceId },
    });
    if (!created && row.status === 'sent') return this.resume();

    const content = this.display();
    try {
      const res = await this.deps.client.createAndDeliverCard({
        cardTemplateId: this.deps.cardTemplateId,
        outTrackId: this.deps.outTrackId,
        cardData: toCardData({ [this.deps.contentKey]: content }),
        ...this.deps.space,
        ...(this.deps.callbackType ? { callbackType: this.deps.callbackType } : {}),
      });
      const delivered = res.deliverResults.find((r) => r.success);
      if (res.deliverResults.length > 0 && !delivered) {
        throw new DingTalkError('dingtalk_card_undelivered', 'DingTalk created the answer card but could not deliver it to the conversation.', 422);
      }
      const carrierId = delivered?.carrierId;
      await outbox.markSent(row.id, { outTrackId: this.deps.outTrackId, processQueryKey: carrierId ?? null, result: { outTrackId: this.deps.outTrackId, carrierId } });
    } catch (error) {
      if (isDuplicateCard(error)) {
        // An earlier attempt's create did land (its answer got lost): that card is ours.
        await outbox.markSent(row.id, { outTrackId: this.deps.outTrackId, result: { outTrackId: this.deps.outTrackId } });
        return this.resume();
      }
      await outbox.markFailed(row.id, error).catch(() => this.deps.logger.warn(`reply ${key}: could not record the failed card create`));
      // Throttling, 5xx and timeouts: the card may or may not exist; the job retry sorts it out.
      if (!isDingTalkError(error) || (isDingTalkApiError(error) && error.retryable)) throw error;
      return this.toMarkdown(`no card (${error.code})`);
    }
    this.mode = 'card';
    this.shown = content;
    this.deps.throttle.updated(this.deps.now());
  }

  private async resume(): Promise<void> {
    this.mode = 'card';
    this.shown = undefined;
    this.deps.logger.debug(`reply ${this.deps.key}: continuing the card of an earlier attempt`);
    await this.update(false);
  }

  private async toMarkdown(reason: string): Promise<void> {
    this.deps.logger.warn(`reply ${this.deps.key}: answering in markdown instead of a card: ${reason}`);
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
        this.deps.logger.warn(`reply ${this.deps.key}: card update failed (${error.code}); the final update carries the text`);
      }
    }
  }

  /** The final text must land: retried (with a growing pause) on throttling and transient errors. */
  private async finalize(content: string, isError: boolean): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.stream(content, true, isError);
        this.shown = content;
        return;
      } catch (error) {
        const transient = isDingTalkApiError(error) && (error.retryable || error.code === 'dingtalk_api_throttled');
        if (!transient || attempt >= this.deps.finalizeAttempts) throw error;
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

function isDuplicateCard(error: unknown): boolean {
  if (!isDingTalkApiError(error)) return false;
  const code = `${error.platformCode} ${error.subCode ?? ''}`;
  return /outTrackId/i.test(code) && /duplicat|exist/i.test(code);
}
