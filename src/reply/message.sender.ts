import { logRef } from '../http/log-value';
import { isDingTalkApiError, type DingTalkClient, type SessionWebhookBody } from '../dingtalk/client';
import type { RobotMessage, WebhookBody } from '../dingtalk/outbound';
import { DingTalkError, isDingTalkError } from '../errors';
import type { Queryable } from '../persistence/database';
import type { OutboxRecord, OutboxRepository, OutboxTargetType } from '../persistence/outbox.repository';
import type { ReplyLogger } from './reply-options';
import { toRobotMessage, toWebhookBody, type OutgoingMessage } from './reply-message';
import type { ReplyTarget } from './reply.port';
import { sessionWebhookDecision } from './webhook-route.policy';

/**
 * Sends ONE message into a conversation, exactly once per idempotency key (P15):
 * reserve the outbox row → a row already `sent` (or later recalled) returns its stored result and
 * DingTalk is not called → otherwise send, then record the answer (`sent` + processQueryKey) or the
 * failure (`failed`, sent again by the next attempt).
 *
 * Route: the message's sessionWebhook while it is valid and on a DingTalk host (P19), else the
 * OpenAPI (private → oToMessages/batchSend to the asker, group → groupMessages/send). A webhook that
 * fails (`session.expired`, `session.notExisted`, …) falls back to the OpenAPI, and `route` remembers
 * that so the rest of the answer does not try it again.
 *
 * A crash between DingTalk's answer and `markSent` leaves the row `pending`, and the retry sends
 * again: at-least-once is the best any sender can do without a DingTalk-side idempotency key.
 */

export interface RouteState {
  /** Set after the sessionWebhook failed once during this answer. */
  webhookFailed: boolean;
}

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

interface StoredResult {
  via: 'webhook' | 'openapi';
  processQueryKey?: string;
}

export interface MessageSenderDeps {
  db: Queryable;
  outbox: OutboxRepository;
  hosts: { apiBaseUrl: string; oapiBaseUrl: string };
  now: () => number;
  webhookSafetyMarginMs: number;
  logger: ReplyLogger;
}

export class MessageSender {
  constructor(private readonly deps: MessageSenderDeps) {}

  async send(req: SendRequest): Promise<SentMessage> {
    // Build both wire forms first: an invalid message (blank, too long) fails here, leaving no row.
    const robot = toRobotMessage(req.message);
    const mentionId = req.mention && req.target.conversationType === 'group' ? req.target.senderStaffId : undefined;
    const webhookBody = toWebhookBody(req.message, mentionId ? { userId: mentionId } : undefined);
    const { targetType, targetId } = outboxTarget(req.target);

    const { row, created } = await this.deps.outbox.reserve(this.deps.db, {
      idempotencyKey: req.key,
      integrationId: req.target.integrationId,
      targetType,
      targetId,
      messageKind: req.message.kind,
      request: { msgKey: robot.msgKey, conversationType: req.target.conversationType, bytes: Buffer.byteLength(req.message.text, 'utf8') },
    });
    if (!created && (row.status === 'sent' || row.status === 'recalled')) {
      this.deps.logger.debug(`reply ${req.key}: already sent, not posting again`);
      return { ...storedResult(row), reused: true };
    }

    let sent: StoredResult;
    try {
      sent = await this.deliver(req, robot, webhookBody);
    } catch (error) {
      await this.deps.outbox.markFailed(row.id, error).catch((markError: unknown) => {
        // The send error is what the caller must see; the row stays pending and is retried all the same.
        this.deps.logger.warn(`reply ${logRef(req.key)}: could not record the failed send (${codeOf(markError)})`);
      });
      throw error;
    }
    await this.deps.outbox.markSent(row.id, { processQueryKey: sent.processQueryKey ?? null, result: sent });
    return { ...sent, reused: false };
  }

  private async deliver(req: SendRequest, robot: RobotMessage, webhookBody: WebhookBody): Promise<StoredResult> {
    const decision = req.route?.webhookFailed
      ? 'failed_earlier'
      : sessionWebhookDecision(req.target, { now: this.deps.now(), hosts: this.deps.hosts, marginMs: this.deps.webhookSafetyMarginMs });
    if (decision === 'usable') {
      try {
        await req.client.postToSessionWebhook(req.target.sessionWebhook as string, { ...webhookBody } as SessionWebhookBody);
        return { via: 'webhook' };
      } catch (error) {
        if (!isDingTalkError(error)) throw error;
        if (req.route) req.route.webhookFailed = true;
        const platform = isDingTalkApiError(error) ? `/${error.subCode ?? error.platformCode}` : '';
        this.deps.logger.warn(`reply ${logRef(req.key)}: sessionWebhook failed (${error.code}${platform}); sending through the OpenAPI`);
      }
    } else if (decision === 'foreign_host') {
      this.deps.logger.warn(`reply ${logRef(req.key)}: sessionWebhook is not on the configured DingTalk host; not calling it`);
    } else {
      this.deps.logger.debug(`reply ${req.key}: sessionWebhook ${decision}; using the OpenAPI`);
    }
    return this.viaOpenApi(req, robot);
  }

  private async viaOpenApi(req: SendRequest, robot: RobotMessage): Promise<StoredResult> {
    const { target, client } = req;
    if (target.conversationType === 'group') {
      const res = await client.sendToGroup({ openConversationId: target.conversationId, msgKey: robot.msgKey, msgParam: robot.msgParam });
      return { via: 'openapi', processQueryKey: res.processQueryKey };
    }
    const userId = target.senderStaffId;
    if (!userId) {
      throw new DingTalkError(
        'dingtalk_reply_no_route',
        'This private chat has no usable sessionWebhook and no senderStaffId (external users can only be answered through the webhook), so the reply cannot be sent.',
        422,
      );
    }
    const res = await client.sendToUsers({ userIds: [userId], msgKey: robot.msgKey, msgParam: robot.msgParam });
    if (res.invalidStaffIdList.includes(userId)) {
      throw new DingTalkError('dingtalk_reply_undeliverable', 'DingTalk reported the asker as an invalid recipient for this robot (not in the app\'s visible range?).', 422);
    }
    if (res.flowControlledStaffIdList.includes(userId)) {
      throw new DingTalkError('dingtalk_api_throttled', 'DingTalk flow-controlled the reply to this user; it is sent again on the next attempt.', 429);
    }
    return { via: 'openapi', processQueryKey: res.processQueryKey };
  }
}

/** The conversation as the outbox (and recall) sees it: a group, or the asker of a 1:1 chat. */
function outboxTarget(target: ReplyTarget): { targetType: OutboxTargetType; targetId: string } {
  if (target.conversationType === 'group') return { targetType: 'group', targetId: target.conversationId };
  return { targetType: 'user', targetId: target.senderStaffId || target.conversationId };
}

function storedResult(row: OutboxRecord): StoredResult {
  const result = (row.result ?? {}) as Partial<StoredResult>;
  const processQueryKey = row.processQueryKey ?? result.processQueryKey;
  return { via: result.via === 'webhook' ? 'webhook' : 'openapi', ...(processQueryKey ? { processQueryKey } : {}) };
}

function codeOf(error: unknown): string {
  return isDingTalkError(error) ? error.code : error instanceof Error ? error.name : 'unknown';
}
