import { createOrAdoptCard } from '../delivery/card-delivery';
import { cardSpace, outTrackIdFor } from '../delivery/card-space';
import { MessageDelivery } from '../delivery/message-delivery';
import { sendOnce } from '../delivery/send-once';
import type { OutgoingMessage } from '../delivery/outgoing-message';
import { sendRobotMessage, type OpenApiAddress } from '../delivery/robot-send';
import { sessionWebhookDecision } from '../delivery/route.policy';
import { cardCallbackRouteKey } from '../dingtalk/card-route-key';
import type { DingTalkClient } from '../dingtalk/client';
import type { CardData, CreateAndDeliverCardRequest } from '../dingtalk/client-types';
import { fileMessage, imageMessage } from '../dingtalk/outbound';
import { isDingTalkError } from '../kernel/errors';
import type { Queryable } from '../persistence/database';
import { OutboxRepository, type OutboxTargetType } from '../persistence/outbox.repository';
import type { NotifyDeps, NotifyIntegration } from './notify-deps';
import { notifyError } from './notify-errors';
import type { NotifyRecipient } from './recipient.resolver';
import type { FilePlan } from './file-message';
import { asNotifyError } from './outbox-send';

export type { OutgoingMessage } from '../delivery/outgoing-message';

/**
 * Puts messages and cards into DingTalk, one outbox row per message (P15). Robot messages go
 * through the OpenAPI (they can be recalled later) unless the caller prefers the conversation's
 * sessionWebhook (the only way to @-mention in a group, and the reply path of auto replies) or the
 * webhook is the only way to reach the person.
 */

export interface DeliveredMessage {
  /** Our outbox row id: what update and recall take. */
  messageId: string;
  via: 'openapi' | 'webhook' | 'card';
  reused: boolean;
  processQueryKey?: string;
  outTrackId?: string;
}

export interface SendMeta {
  /** The tool (or `auto_reply`) that sends; stored with the row for audit. */
  source: string;
  preferWebhook?: boolean;
}

export interface CardSpec {
  cardTemplateId: string;
  cardData: CardData;
  /** `interactive_card` (our title/content/buttons contract) or `template_card` (the model’s own data). */
  kind: 'interactive_card' | 'template_card';
  /** Extra audit data for the row (no message text). */
  request?: Record<string, unknown>;
}

export class NotifyDelivery {
  readonly outbox: OutboxRepository;
  private readonly messages: MessageDelivery;

  constructor(
    private readonly db: Queryable,
    readonly client: DingTalkClient,
    readonly integration: NotifyIntegration,
    private readonly deps: Pick<NotifyDeps, 'hosts' | 'now'>,
  ) {
    this.outbox = new OutboxRepository(db);
    this.messages = new MessageDelivery({ db, outbox: this.outbox, hosts: deps.hosts, now: deps.now });
  }

  /** Whether the recipient's sessionWebhook may be called now (P19 host check + expiry). */
  webhookUsable(recipient: NotifyRecipient): boolean {
    return sessionWebhookDecision(recipient, { now: this.deps.now(), hosts: this.deps.hosts }) === 'usable';
  }

  /** Sends the parts in order; part n is keyed `${key}:p${n}` so a retry resumes where it stopped. */
  async sendMessages(recipient: NotifyRecipient, key: string, parts: OutgoingMessage[], meta: SendMeta): Promise<DeliveredMessage[]> {
    const viaWebhook = this.chooseWebhook(recipient, meta.preferWebhook === true);
    if (!viaWebhook && recipient.type === 'open_id') {
      throw notifyError(
        'notify_open_id_unsupported',
        'DingTalk robot messages can only be addressed by userId; a unionId (open_id) recipient can only receive cards (mode "template", or "interactive" when the integration has a card template). Use a user_id recipient for text and markdown.',
      );
    }
    const delivered: DeliveredMessage[] = [];
    for (const [index, part] of parts.entries()) {
      try {
        delivered.push(await this.sendPart(recipient, `${key}:p${index + 1}`, part, { index, total: parts.length, baseKey: key, meta, viaWebhook }));
      } catch (error) {
        if (delivered.length === 0) throw error;
        // Say what already went out: a retry of the same call only sends the rest.
        throw notifyError('notify_partially_sent', `Only ${delivered.length} of ${parts.length} parts were sent before DingTalk failed (${errorText(error)}). Retrying this same call sends only the missing parts.`, {
          messageIds: delivered.map((d) => d.messageId),
        });
      }
    }
    return delivered;
  }

  async sendCard(recipient: NotifyRecipient, key: string, card: CardSpec, meta: SendMeta): Promise<DeliveredMessage> {
    if (recipient.ids.length === 0) {
      throw notifyError('notify_card_needs_user_id', 'Cards need the recipient’s userId, and this private chat came from a user without one. Send markdown instead.');
    }
    const outTrackId = outTrackIdFor(key);
    try {
      const card_ = await createOrAdoptCard(
        this.db,
        this.outbox,
        this.reserveInput(recipient, `${key}:card`, 'card', card.kind, { ...meta, request: card.request }),
        this.deps.now(),
        this.client,
        this.cardRequest(recipient, outTrackId, card),
      );
      const { row } = card_;
      return { messageId: row.id, via: 'card', reused: card_.reused, outTrackId: card_.outTrackId, ...(row.processQueryKey ? { processQueryKey: row.processQueryKey } : {}) };
    } catch (error) {
      if (isDingTalkError(error) && error.code === 'delivery_card_undelivered') throw notifyError('notify_card_not_delivered', error.message);
      throw asNotifyError(error);
    }
  }

  /**
   * A file or image: upload, then the robot message (`sampleFile` / `sampleImageMsg`), through the
   * OpenAPI (a sessionWebhook cannot carry files). One outbox row: a retry after it was sent posts
   * nothing; a retry of a failed attempt uploads again (media ids are short-lived, never stored).
   */
  async sendFile(recipient: NotifyRecipient, key: string, file: { plan: FilePlan; bytes: Buffer }, meta: SendMeta): Promise<DeliveredMessage> {
    if (recipient.ids.length === 0) {
      throw notifyError('notify_file_needs_user_id', 'Files go through the DingTalk OpenAPI, which needs the recipient’s userId, and this private chat came from a user without one.');
    }
    const targetType: OutboxTargetType = recipient.type === 'chat_id' ? 'group' : 'user';
    const request = { media: file.plan.media, fileType: file.plan.fileType, bytes: file.bytes.length };
    const address = openApiAddress(recipient);
    if (!address) throw notifyError('notify_open_id_unsupported', 'DingTalk robot messages can only be addressed by userId or group; a unionId (open_id) recipient cannot receive files.');
    let sent;
    try {
      sent = await sendOnce(this.db, this.outbox, this.reserveInput(recipient, `${key}:file`, targetType, file.plan.media, { ...meta, request }), this.deps.now(), async () => {
        const { mediaId } = await this.client.uploadMedia({ type: file.plan.media, bytes: file.bytes, fileName: file.plan.fileName, ...(file.plan.contentType ? { contentType: file.plan.contentType } : {}) });
        const message = file.plan.media === 'image' ? imageMessage(mediaId) : fileMessage({ mediaId, fileName: file.plan.fileName, fileType: file.plan.fileType });
        const robot = await sendRobotMessage(this.client, address, message);
        return { processQueryKey: robot.processQueryKey ?? null, result: robot.result };
      });
    } catch (error) {
      throw asNotifyError(error);
    }
    const { row, reused } = sent;
    return { messageId: row.id, via: 'openapi', reused, ...(row.processQueryKey ? { processQueryKey: row.processQueryKey } : {}) };
  }

  /** The outbox row of one send: where it goes and what it is (no message text), for update, recall and audit. */
  reserveInput(recipient: NotifyRecipient, idempotencyKey: string, targetType: OutboxTargetType, messageKind: string, meta: SendMeta & { request?: Record<string, unknown> }) {
    return {
      idempotencyKey,
      integrationId: this.integration.id,
      targetType,
      targetId: recipient.ids.join(',') || recipient.conversationId || 'session',
      messageKind,
      request: { source: meta.source, recipient: { type: recipient.type, ids: recipient.ids, source: recipient.source }, ...(meta.request ?? {}) },
    };
  }

  private chooseWebhook(recipient: NotifyRecipient, prefer: boolean): boolean {
    const usable = this.webhookUsable(recipient);
    if (recipient.ids.length === 0) {
      if (!usable) throw notifyError('notify_recipient_unreachable', 'This private chat came from a DingTalk user without a userId and its reply webhook has expired, so they cannot be reached any more.');
      return true;
    }
    return prefer && usable;
  }

  private async sendPart(
    recipient: NotifyRecipient,
    key: string,
    part: OutgoingMessage,
    ctx: { index: number; total: number; baseKey: string; meta: SendMeta; viaWebhook: boolean },
  ): Promise<DeliveredMessage> {
    const request = { part: ctx.index + 1, parts: ctx.total, baseKey: ctx.baseKey, ...(part.kind === 'text' ? {} : { title: part.title }) };
    const input = this.reserveInput(recipient, key, 'user', part.kind, { ...ctx.meta, request });
    try {
      const sent = await this.messages.send({
        client: this.client,
        key,
        message: part,
        integrationId: this.integration.id,
        openApi: openApiAddress(recipient),
        webhook: { url: recipient.sessionWebhook, expiresAt: recipient.sessionWebhookExpiresAt },
        preferWebhook: ctx.viaWebhook,
        outbox: { targetId: input.targetId, request: input.request },
      });
      return { messageId: sent.row.id, via: sent.via, reused: sent.reused, ...(sent.processQueryKey ? { processQueryKey: sent.processQueryKey } : {}) };
    } catch (error) {
      if (isDingTalkError(error) && error.code === 'delivery_recipient_invalid') {
        throw notifyError('notify_recipient_invalid', `DingTalk does not know the userId${recipient.ids.length > 1 ? 's' : ''} ${recipient.ids.join(', ')} in this organisation; nothing was sent. Look the person up with dingtalk_list_users.`);
      }
      throw asNotifyError(error);
    }
  }

  private cardRequest(recipient: NotifyRecipient, outTrackId: string, card: CardSpec): CreateAndDeliverCardRequest {
    const callback =
      this.integration.options.mode === 'stream'
        ? { callbackType: 'STREAM' as const }
        : { callbackType: 'HTTP' as const, callbackRouteKey: cardCallbackRouteKey(this.integration.id) };
    // unionId recipients are addressed as such (userIdType 2); robot messages cannot do this.
    const space = recipient.type === 'chat_id' ? cardSpace({ group: recipient.ids[0] }) : cardSpace({ userIds: recipient.ids }, { unionIds: recipient.type === 'open_id' });
    return { cardTemplateId: card.cardTemplateId, outTrackId, cardData: card.cardData, ...callback, ...space, ...(recipient.type === 'user_id' ? { userIdType: 1 } : {}) };
  }
}


/** The OpenAPI address of a recipient; unionIds (open_id) have none for robot messages. */
function openApiAddress(recipient: NotifyRecipient): OpenApiAddress | undefined {
  if (recipient.type === 'open_id' || recipient.ids.length === 0) return undefined;
  return recipient.type === 'chat_id' ? { group: recipient.ids[0] } : { userIds: recipient.ids };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export { cardCallbackRouteKey };
