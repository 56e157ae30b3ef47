import { createHash } from 'node:crypto';
import { isDingTalkError } from '../errors';
import { isAllowedSessionWebhook, isDingTalkApiError, type DingTalkClient } from '../dingtalk/client';
import type { CardData, CreateAndDeliverCardRequest } from '../dingtalk/client-types';
import { actionCardMessage, fileMessage, imageMessage, markdownMessage, textMessage, webhookActionCard, webhookMarkdown, webhookText, type MessageButton, type RobotMessage, type WebhookBody } from '../dingtalk/outbound';
import type { Queryable } from '../persistence/database';
import { OutboxRepository, type OutboxTargetType } from '../persistence/outbox.repository';
import { isRecord } from './dingtalk-run-context';
import type { NotifyDeps, NotifyIntegration } from './notify-deps';
import { notifyError } from './notify-errors';
import type { NotifyRecipient } from './recipient.resolver';
import { sendOnce } from './outbox-send';
import type { FilePlan } from './file-message';

/**
 * Puts messages and cards into DingTalk, one outbox row per message (P15). Robot messages go
 * through the OpenAPI (they can be recalled later) unless the caller prefers the conversation's
 * sessionWebhook (the only way to @-mention in a group, and the reply path of auto replies) or the
 * webhook is the only way to reach the person.
 */

export type OutgoingMessage =
  | { kind: 'text'; text: string; atUserIds?: string[] }
  | { kind: 'markdown'; title: string; text: string }
  | { kind: 'action_card'; title: string; text: string; buttons: MessageButton[] };

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

/** A webhook this close to its expiry is not used: the post could arrive after it. */
const WEBHOOK_MARGIN_MS = 60_000;

export class NotifyDelivery {
  readonly outbox: OutboxRepository;

  constructor(
    private readonly db: Queryable,
    readonly client: DingTalkClient,
    readonly integration: NotifyIntegration,
    private readonly deps: Pick<NotifyDeps, 'hosts' | 'now'>,
  ) {
    this.outbox = new OutboxRepository(db);
  }

  /** Whether the recipient's sessionWebhook may be called now (P19 host check + expiry). */
  webhookUsable(recipient: NotifyRecipient): boolean {
    if (!recipient.sessionWebhook || !isAllowedSessionWebhook(recipient.sessionWebhook, this.deps.hosts)) return false;
    const expiresAt = recipient.sessionWebhookExpiresAt;
    return !(typeof expiresAt === 'number' && expiresAt - WEBHOOK_MARGIN_MS <= this.deps.now());
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
    const outTrackId = `xpn_${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
    const { row, reused } = await sendOnce(this.db, this.outbox, this.reserveInput(recipient, `${key}:card`, 'card', card.kind, { ...meta, request: card.request }), this.deps.now(), async () => {
      try {
        const res = await this.client.createAndDeliverCard(this.cardRequest(recipient, outTrackId, card));
        const failed = res.deliverResults.filter((r) => !r.success);
        if (res.deliverResults.length > 0 && failed.length === res.deliverResults.length) {
          throw notifyError('notify_card_not_delivered', `DingTalk created the card but could not deliver it: ${failed.map((f) => f.errorMsg || f.spaceId).join('; ')}.`);
        }
        const carriers = res.deliverResults.filter((r) => r.success && r.carrierId).map((r) => r.carrierId as string);
        return { outTrackId, processQueryKey: carriers[0] ?? null, result: { carrierIds: carriers, failed: failed.map((f) => ({ spaceId: f.spaceId, error: f.errorMsg })) } };
      } catch (error) {
        // A retry after a lost answer: DingTalk already has this outTrackId, so the card exists.
        if (isDingTalkApiError(error) && /outTrackId\.duplicate/i.test(error.platformCode)) return { outTrackId, result: { carrierIds: [] } };
        throw error;
      }
    });
    return { messageId: row.id, via: 'card', reused, outTrackId: row.outTrackId ?? outTrackId, ...(row.processQueryKey ? { processQueryKey: row.processQueryKey } : {}) };
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
    const { row, reused } = await sendOnce(this.db, this.outbox, this.reserveInput(recipient, `${key}:file`, targetType, file.plan.media, { ...meta, request }), this.deps.now(), async () => {
      const { mediaId } = await this.client.uploadMedia({ type: file.plan.media, bytes: file.bytes, fileName: file.plan.fileName, ...(file.plan.contentType ? { contentType: file.plan.contentType } : {}) });
      const message = file.plan.media === 'image' ? imageMessage(mediaId) : fileMessage({ mediaId, fileName: file.plan.fileName, fileType: file.plan.fileType });
      return this.sendRobot(recipient, message);
    });
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
    const targetType: OutboxTargetType = ctx.viaWebhook ? 'webhook' : recipient.type === 'chat_id' ? 'group' : 'user';
    const request = { part: ctx.index + 1, parts: ctx.total, baseKey: ctx.baseKey, ...(part.kind === 'text' ? {} : { title: part.title }) };
    const input = this.reserveInput(recipient, key, targetType, part.kind, { ...ctx.meta, request });
    const { row, reused } = await sendOnce(this.db, this.outbox, input, this.deps.now(), async () => {
      if (!ctx.viaWebhook) return this.sendRobot(recipient, toRobotMessage(part));
      try {
        await this.client.postToSessionWebhook(recipient.sessionWebhook as string, toWebhookBody(part));
        return { result: { via: 'webhook' } };
      } catch (error) {
        // DingTalk said no (e.g. session.expired): nothing was posted, so the OpenAPI may post it —
        // in this same row, so the message still exists once. An unanswered post might have
        // arrived, so it is not repeated elsewhere.
        if (!definitelyNotPosted(error) || recipient.ids.length === 0 || recipient.type === 'open_id') throw error;
        const sent = await this.sendRobot(recipient, toRobotMessage(withoutMentions(part)));
        return { ...sent, result: { ...sent.result, via: 'openapi', webhookFailed: (error as { code?: string }).code } };
      }
    });
    const via = isRecord(row.result) && row.result.via === 'webhook' ? 'webhook' : 'openapi';
    return { messageId: row.id, via, reused, ...(row.processQueryKey ? { processQueryKey: row.processQueryKey } : {}) };
  }

  private async sendRobot(recipient: NotifyRecipient, message: RobotMessage) {
    if (recipient.type === 'chat_id') {
      const res = await this.client.sendToGroup({ openConversationId: recipient.ids[0], msgKey: message.msgKey, msgParam: message.msgParam });
      return { processQueryKey: res.processQueryKey, result: { processQueryKeys: [res.processQueryKey] } };
    }
    const res = await this.client.sendToUsers({ userIds: recipient.ids, msgKey: message.msgKey, msgParam: message.msgParam });
    if (res.invalidStaffIdList.length >= recipient.ids.length) {
      throw notifyError('notify_recipient_invalid', `DingTalk does not know the userId${recipient.ids.length > 1 ? 's' : ''} ${recipient.ids.join(', ')} in this organisation; nothing was sent. Look the person up with dingtalk_list_users.`);
    }
    return {
      processQueryKey: res.processQueryKey,
      result: { processQueryKeys: res.processQueryKeys, invalidUserIds: res.invalidStaffIdList, flowControlledUserIds: res.flowControlledStaffIdList },
    };
  }

  private cardRequest(recipient: NotifyRecipient, outTrackId: string, card: CardSpec): CreateAndDeliverCardRequest {
    const stream = this.integration.options.mode === 'stream';
    const callback = stream
      ? { callbackType: 'STREAM' as const }
      : { callbackType: 'HTTP' as const, callbackRouteKey: cardCallbackRouteKey(this.integration.id) };
    if (recipient.type === 'chat_id') {
      return { cardTemplateId: card.cardTemplateId, outTrackId, cardData: card.cardData, ...callback, openSpaceId: `dtv1.card//IM_GROUP.${recipient.ids[0]}`, imGroupOpenDeliverModel: { robotCode: this.client.robotCode }, imGroupOpenSpaceModel: { supportForward: true } };
    }
    return {
      cardTemplateId: card.cardTemplateId,
      outTrackId,
      cardData: card.cardData,
      ...callback,
      openSpaceId: `dtv1.card//${recipient.ids.map((id) => `IM_ROBOT.${id}`).join(';')}`,
      imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT' },
      imRobotOpenSpaceModel: { supportForward: true },
      // unionId recipients are addressed as such (userIdType 2); robot messages cannot do this.
      userIdType: recipient.type === 'open_id' ? 2 : 1,
    };
  }
}

/**
 * Route key under which HTTP-mode card callbacks must be registered
 * (`POST /v1.0/card/callbacks/register`) for notify cards to call back.
 */
export function cardCallbackRouteKey(integrationId: string): string {
  return `xpert_dingtalk_${integrationId}`.slice(0, 64);
}

function toRobotMessage(part: OutgoingMessage): RobotMessage {
  if (part.kind === 'text') return textMessage(part.text);
  if (part.kind === 'markdown') return markdownMessage(part.title, part.text);
  return actionCardMessage({ title: part.title, text: part.text, buttons: part.buttons });
}

function toWebhookBody(part: OutgoingMessage): WebhookBody {
  if (part.kind === 'text') return webhookText(withMentions(part.text, part.atUserIds), part.atUserIds?.length ? { atUserIds: part.atUserIds } : undefined);
  if (part.kind === 'markdown') return webhookMarkdown(part.title, part.text);
  return webhookActionCard({ title: part.title, text: part.text, buttons: part.buttons });
}

/** DingTalk only highlights an @ when the text itself contains `@userId`. */
function withMentions(text: string, atUserIds: string[] | undefined): string {
  const missing = (atUserIds ?? []).filter((id) => !text.includes(`@${id}`));
  return missing.length ? `${text} ${missing.map((id) => `@${id}`).join(' ')}` : text;
}

function definitelyNotPosted(error: unknown): boolean {
  if (isDingTalkApiError(error)) return error.code !== 'dingtalk_timeout' && error.code !== 'dingtalk_api_unavailable';
  return isDingTalkError(error);
}

function withoutMentions(part: OutgoingMessage): OutgoingMessage {
  return part.kind === 'text' ? { kind: 'text', text: part.text } : part;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
