import { streamPacerFor } from '../delivery/stream-pacer';
import type { DingTalkClient } from '../dingtalk/client';
import { DingTalkError } from '../kernel/errors';
import { normalizeLanguage, type Language } from '../i18n';
import { OutboxRepository } from '../persistence/outbox.repository';
import type { AnswerStream, SendFn } from './answer-stream';
import { CardAnswerStream } from './card.stream';
import { cardSpaceFor, outTrackIdFor } from './card-target';
import { noticeMessage } from './final-actions';
import { MarkdownAnswerStream } from './markdown.stream';
import { MessageSender, type RouteState } from './message.sender';
import { resolveReplyOptions, type ReplyServiceOptions, type ResolvedReplyOptions } from './reply-options';
import type { ReplyActions, ReplyPort, ReplySession } from './reply.port';
import type { ReplyTarget } from '../kernel/run-context';
import { StreamingReplySession } from './reply.session';
import { UpdateThrottle } from './update-throttle';

/**
 * The reply path: how an expert's streamed answer gets back into the DingTalk conversation.
 *
 * `open(target, key)` picks the form per integration: an AI card streamed in place when a card
 * template is configured (and the conversation has a card space), markdown messages otherwise.
 * Every message and the card are outbox rows under keys derived from `key` (`:seg:n`, `:card`,
 * `:final`, `:interrupt`, `:error`), so a retried job posts nothing twice (P15). The engine must
 * pass the same `key` for every attempt of the same turn (e.g. the handoff job id).
 *
 * Plain class; a Nest provider can wrap it.
 */
export class ReplyService implements ReplyPort {
  private readonly options: ResolvedReplyOptions;
  private readonly outbox: OutboxRepository;
  private readonly sender: MessageSender;

  constructor(options: ReplyServiceOptions) {
    this.options = resolveReplyOptions(options);
    this.outbox = new OutboxRepository(this.options.db);
    this.sender = new MessageSender({
      db: this.options.db,
      outbox: this.outbox,
      hosts: this.options.hosts,
      now: this.options.now,
      webhookSafetyMarginMs: this.options.webhookSafetyMarginMs,
      replicaId: this.options.replicaId,
      logger: this.options.logger,
    });
  }

  async open(target: ReplyTarget, key: string): Promise<ReplySession> {
    requireKey(key);
    const client = await this.options.client(target.integrationId);
    const language = normalizeLanguage(target.language);
    const send = this.sendFn(client, target);
    const markdown = ({ mention }: { mention: boolean }) =>
      new MarkdownAnswerStream({ key, send, language, chunkBytes: this.options.markdownChunkBytes, mentionFirst: mention });
    const stream: AnswerStream = this.cardStream(client, target, key, language, markdown) ?? markdown({ mention: true });
    return new StreamingReplySession({ key, language, stream, send, logger: this.options.logger, group: target.conversationType === 'group' });
  }

  async notice(target: ReplyTarget, key: string, text: string, actions?: ReplyActions): Promise<void> {
    requireKey(key);
    const client = await this.options.client(target.integrationId);
    await this.sendFn(client, target)(key, noticeMessage(normalizeLanguage(target.language), text, actions), { mention: true });
  }

  async abandon(key: string): Promise<void> {
    requireKey(key);
    const card = await this.outbox.findByKey(`${key}:card`);
    if (card) await this.outbox.abandonCardStream(card.id);
  }

  /** Sends into this conversation; the route state is shared by all sends of one answer. */
  private sendFn(client: DingTalkClient, target: ReplyTarget): SendFn {
    const route: RouteState = { webhookFailed: false };
    return (key, message, options) =>
      this.sender.send({ client, target, key, message, route, mention: Boolean(options?.mention) && this.options.mentionSenderInGroups });
  }

  private cardStream(
    client: DingTalkClient,
    target: ReplyTarget,
    key: string,
    language: Language,
    markdown: (options: { mention: boolean }) => MarkdownAnswerStream,
  ): CardAnswerStream | undefined {
    const cardTemplateId = this.options.cardTemplateId(target.integrationId);
    const space = cardSpaceFor(target);
    if (!cardTemplateId || !space) return undefined;
    const o = this.options;
    const pacer = streamPacerFor(client);
    return new CardAnswerStream({
      key,
      target,
      client,
      db: o.db,
      outbox: this.outbox,
      space,
      outTrackId: outTrackIdFor(key),
      cardTemplateId,
      callbackType: o.cardCallbackType(target.integrationId),
      contentKey: o.cardContentKey,
      capBytes: o.cardMaxBytes,
      finalizeAttempts: o.cardFinalizeAttempts,
      language,
      throttle: new UpdateThrottle(o.streamIntervalMs, o.maxStreamIntervalMs, (now) => pacer.intervalMs(o.streamIntervalMs, now)),
      pacer,
      owner: o.replicaId,
      now: o.now,
      sleep: o.sleep,
      logger: o.logger,
      markdown,
    });
  }
}

function requireKey(key: string): void {
  if (typeof key !== 'string' || key.trim() === '') {
    throw new DingTalkError('dingtalk_invalid_argument', 'A reply needs an idempotency key (e.g. the handoff job id).', 400);
  }
}
