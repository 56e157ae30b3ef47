import { isDingTalkApiError, type DingTalkClient, type SessionWebhookBody } from '../dingtalk/client';
import { DingTalkError, isDingTalkError } from '../kernel/errors';
import { logRef } from '../kernel/log-value';
import type { Queryable } from '../persistence/database';
import type { OutboxRecord, OutboxRepository, OutboxTargetType } from '../persistence/outbox.repository';
import { toRobotMessage, toWebhookBody, withoutMentions, type OutgoingMessage } from './outgoing-message';
import { sendRobotMessage, type OpenApiAddress } from './robot-send';
import { chooseRoute, sessionWebhookDecision } from './route.policy';
import { sendOnce } from './send-once';
import type { LoggerPort } from '../kernel/logger';

/**
 * Sends ONE robot message exactly once per idempotency key, for the streamed answer and the notify
 * tools alike: the outbox state machine (`sendOnce`), the route (`chooseRoute`: the conversation's
 * sessionWebhook while it is valid, else the OpenAPI), and the fallback: a webhook DingTalk
 * refused (`session.expired`, …) posted nothing, so the OpenAPI may post the message in the same
 * row; an unanswered webhook post (timeout, 5xx) might have arrived and is not repeated elsewhere.
 * `route.webhookFailed` remembers a refusal so the rest of one answer does not try it again.
 */

export interface RouteState {
  webhookFailed: boolean;
}

/** The part of the plugin's logger port delivery uses. */
export type DeliveryLogger = Pick<LoggerPort, 'debug' | 'warn'>;

export interface MessageSendRequest {
  client: DingTalkClient;
  key: string;
  message: OutgoingMessage;
  integrationId: string;
  /** The OpenAPI address, when there is one (external users have none). */
  openApi?: OpenApiAddress;
  webhook?: { url?: string; expiresAt?: number; mentionUserId?: string };
  preferWebhook: boolean;
  route?: RouteState;
  /** The outbox row's target and audit data (never message text). */
  outbox: { targetType?: OutboxTargetType; targetId: string; request?: Record<string, unknown> };
}

export interface DeliveredSend {
  row: OutboxRecord;
  via: 'webhook' | 'openapi';
  processQueryKey?: string;
  reused: boolean;
}

export interface MessageDeliveryDeps {
  db: Queryable;
  outbox: OutboxRepository;
  hosts: { apiBaseUrl: string; oapiBaseUrl: string };
  now: () => number;
  /** Default `WEBHOOK_EXPIRY_MARGIN_MS`. */
  webhookMarginMs?: number;
  /** This replica as the sender of its outbox rows. Default the process's replica id. */
  replicaId?: string;
  logger?: DeliveryLogger;
}

export class MessageDelivery {
  constructor(private readonly deps: MessageDeliveryDeps) {}

  async send(req: MessageSendRequest): Promise<DeliveredSend> {
    // Both wire forms first: an invalid message (blank, too long) fails here and leaves no row.
    const robot = toRobotMessage(req.message);
    const webhookBody = toWebhookBody(req.message, req.webhook?.mentionUserId);
    const decision = req.route?.webhookFailed
      ? 'failed_earlier'
      : sessionWebhookDecision({ sessionWebhook: req.webhook?.url, sessionWebhookExpiresAt: req.webhook?.expiresAt }, { now: this.deps.now(), hosts: this.deps.hosts, marginMs: this.deps.webhookMarginMs });
    const route = chooseRoute(decision, { preferWebhook: req.preferWebhook, hasOpenApiAddress: !!req.openApi });
    if (route === 'none') {
      throw new DingTalkError(
        'delivery_no_route',
        'This conversation has no usable sessionWebhook (expired or absent) and no userId to send to through the OpenAPI (external users can only be answered through the webhook), so the message cannot be sent.',
        422,
      );
    }
    if (decision === 'foreign_host') this.deps.logger?.warn(`send ${logRef(req.key)}: sessionWebhook is not on the configured DingTalk host; not calling it`);
    const targetType = req.outbox.targetType ?? (route === 'webhook' ? 'webhook' : req.openApi && 'group' in req.openApi ? 'group' : 'user');
    const { row, reused } = await sendOnce(
      this.deps.db,
      this.deps.outbox,
      { idempotencyKey: req.key, integrationId: req.integrationId, targetType, targetId: req.outbox.targetId, messageKind: req.message.kind, request: req.outbox.request },
      this.deps.now(),
      async () => {
        if (route === 'openapi') return sendRobotMessage(req.client, req.openApi as OpenApiAddress, robot);
        try {
          await req.client.postToSessionWebhook(req.webhook?.url as string, { ...webhookBody } as SessionWebhookBody);
          return { result: { via: 'webhook' } };
        } catch (error) {
          if (!definitelyNotPosted(error) || !req.openApi) throw error;
          if (req.route) req.route.webhookFailed = true;
          const platform = isDingTalkApiError(error) ? `/${error.subCode ?? error.platformCode}` : '';
          this.deps.logger?.warn(`send ${logRef(req.key)}: sessionWebhook refused (${(error as DingTalkError).code}${platform}); sending through the OpenAPI`);
          const sent = await sendRobotMessage(req.client, req.openApi, toRobotMessage(withoutMentions(req.message)));
          return { ...sent, result: { ...sent.result, webhookFailed: (error as DingTalkError).code } };
        }
      },
      this.deps.replicaId,
    );
    const result = (row.result ?? {}) as { via?: string; processQueryKey?: string };
    const processQueryKey = row.processQueryKey ?? result.processQueryKey;
    return { row, via: result.via === 'webhook' ? 'webhook' : 'openapi', reused, ...(processQueryKey ? { processQueryKey } : {}) };
  }
}

/** DingTalk answered with a refusal: nothing was posted. A timeout or 5xx might have been. */
export function definitelyNotPosted(error: unknown): boolean {
  if (isDingTalkApiError(error)) return error.code !== 'dingtalk_timeout' && error.code !== 'dingtalk_api_unavailable';
  return isDingTalkError(error);
}
