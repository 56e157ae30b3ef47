import type { DingTalkClient } from '../dingtalk/client';
import { MessageDelivery, type MessageDeliveryDeps, type RouteState } from '../delivery/message-delivery';
import type { OpenApiAddress } from '../delivery/robot-send';
import { DingTalkError, isDingTalkError } from '../kernel/errors';
import type { ReplyLogger } from './reply-options';
import type { OutgoingMessage } from './reply-message';
import type { ReplyTarget } from '../kernel/run-context';

export type { RouteState } from '../delivery/message-delivery';

/**
 * Sends ONE message of an answer into its conversation, exactly once per idempotency key, through
 * the shared delivery (`MessageDelivery`): the sessionWebhook while it is valid, else the OpenAPI
 * (private → to the asker, group → the group). What is specific to answers is only the address
 * (the asker, the group, the @ of the asker) and the error wording.
 */

export interface SendRequest {
  client: DingTalkClient;
  target: ReplyTarget;
  key: string;
  message: OutgoingMessage;
  /** @-mention the asker (group webhook sends only; the OpenAPI cannot @). */
  mention?: boolean;
  /** Shared by every send of one answer. */
  route?: RouteState;
}

export interface SentMessage {
  via: 'webhook' | 'openapi';
  /** OpenAPI sends only: what recall and read-status need. */
  processQueryKey?: string;
  /** True when the outbox already held this send and DingTalk was not called. */
  reused: boolean;
}

export type MessageSenderDeps = Omit<MessageDeliveryDeps, 'webhookMarginMs'> & { webhookSafetyMarginMs: number; logger: ReplyLogger };

export class MessageSender {
  private readonly delivery: MessageDelivery;

  constructor(deps: MessageSenderDeps) {
    this.delivery = new MessageDelivery({ db: deps.db, outbox: deps.outbox, hosts: deps.hosts, now: deps.now, webhookMarginMs: deps.webhookSafetyMarginMs, logger: deps.logger });
  }

  async send(req: SendRequest): Promise<SentMessage> {
    const { target } = req;
    const group = target.conversationType === 'group';
    const openApi: OpenApiAddress | undefined = group ? { group: target.conversationId } : target.senderStaffId ? { userIds: [target.senderStaffId] } : undefined;
    try {
      const sent = await this.delivery.send({
        client: req.client,
        key: req.key,
        message: req.message,
        integrationId: target.integrationId,
        openApi,
        webhook: { url: target.sessionWebhook, expiresAt: target.sessionWebhookExpiresAt, mentionUserId: req.mention && group ? target.senderStaffId : undefined },
        preferWebhook: true,
        route: req.route,
        // The conversation as the outbox (and recall) sees it: a group, or the asker of a 1:1 chat.
        outbox: {
          targetType: group ? 'group' : 'user',
          targetId: group ? target.conversationId : target.senderStaffId || target.conversationId,
          request: { conversationType: target.conversationType, bytes: Buffer.byteLength(req.message.text, 'utf8') },
        },
      });
      return { via: sent.via, reused: sent.reused, ...(sent.processQueryKey ? { processQueryKey: sent.processQueryKey } : {}) };
    } catch (error) {
      throw replyError(error);
    }
  }
}

function replyError(error: unknown): unknown {
  if (!isDingTalkError(error)) return error;
  if (error.code === 'delivery_no_route') {
    return new DingTalkError(
      'dingtalk_reply_no_route',
      'This private chat has no usable sessionWebhook and no senderStaffId (external users can only be answered through the webhook), so the reply cannot be sent.',
      422,
    );
  }
  if (error.code === 'delivery_recipient_invalid') {
    return new DingTalkError('dingtalk_reply_undeliverable', "DingTalk reported the asker as an invalid recipient for this robot (not in the app's visible range?).", 422);
  }
  return error;
}
