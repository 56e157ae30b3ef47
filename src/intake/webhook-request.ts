import type { DingTalkIntegrationOptions } from '../kernel/integration';
import { DingTalkError } from '../kernel/errors';
import { createCallbackCipher, type CallbackCipher } from '../dingtalk/callback-cipher';
import { checkCardCallback, checkRobotRequest, checkTimestampFresh } from '../dingtalk/request-signature';
import { safeEqual } from '../kernel/safe-equal';
import type { CardActionEvent, PlatformEvent, RobotMessageEvent } from '../kernel/inbound-event';
import { parseCardCallback, parseEventPlaintext, parseRobotMessage } from '../dingtalk/inbound';

/** The transport-free view of one webhook POST: what the controller hands over. */
export interface WebhookRequest {
  headers: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  body: unknown;
}

export interface WebhookLimits {
  now: number;
  eventWindowMs: number;
  /** The apiSecret registered with this integration's card callback route (none: card callbacks are refused). */
  cardApiSecret?: string;
}

/** Whether the POST claims to be a card callback (then the caller looks up the route's apiSecret). */
export function looksLikeCardCallback(request: WebhookRequest): boolean {
  const body = request.body as { type?: unknown } | null;
  return request.headers['x-ddpaas-signature'] !== undefined || (!!body && typeof body === 'object' && body.type === 'actionCallback');
}

export type VerifiedWebhook =
  | { type: 'robot'; event: RobotMessageEvent }
  | { type: 'event'; event: PlatformEvent; cipher: CallbackCipher }
  | { type: 'card'; event: CardActionEvent };

/**
 * Classifies, verifies and parses one POST to the webhook URL (the caller has already refused an
 * oversized body). Cheap checks come first (mode, signature presence) and the signature is verified
 * before anything is decrypted or parsed, so forged input costs almost nothing (P1, P5). Throws
 * coded DingTalkErrors only.
 */
export function verifyWebhook(request: WebhookRequest, options: DingTalkIntegrationOptions, limits: WebhookLimits): VerifiedWebhook {
  if (options.mode !== 'http') {
    throw new DingTalkError(
      'dingtalk_integration_mode_mismatch',
      'This integration receives messages by Stream mode; switch its mode to HTTP, or set the robot to Stream mode in the developer console.',
      409,
    );
  }
  const body = request.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new DingTalkError('dingtalk_payload_invalid', 'Request body must be a JSON object.', 400);
  }
  const { headers, query } = request;
  const eventSignature = query.msg_signature ?? query.signature;
  if (eventSignature !== undefined || 'encrypt' in body) {
    return verifyEvent(eventSignature, query, body as Record<string, unknown>, options, limits);
  }
  if (looksLikeCardCallback(request)) {
    return verifyCard(headers, body, limits);
  }
  if (headers.sign !== undefined || headers.timestamp !== undefined) {
    checkRobotRequest({ timestamp: headers.timestamp, sign: headers.sign, appSecret: options.clientSecret, now: limits.now });
    return { type: 'robot', event: parseRobotMessage(body) };
  }
  throw new DingTalkError('dingtalk_signature_missing', 'Request carries no DingTalk signature (robot sign header or event signature).', 401);
}

function verifyEvent(
  signature: string | undefined,
  query: WebhookRequest['query'],
  body: Record<string, unknown>,
  options: DingTalkIntegrationOptions,
  limits: WebhookLimits,
): VerifiedWebhook {
  const timestamp = query.timeStamp ?? query.timestamp;
  const nonce = query.nonce;
  const encrypt = body.encrypt;
  if (typeof signature !== 'string' || typeof timestamp !== 'string' || typeof nonce !== 'string' || typeof encrypt !== 'string') {
    throw new DingTalkError('dingtalk_signature_invalid', 'Event callback is missing its signature, timestamp, nonce or encrypt field.', 401);
  }
  if (!options.callbackToken || !options.callbackAesKey) {
    throw new DingTalkError('dingtalk_config_invalid', 'Event callbacks need callbackToken and callbackAesKey on the integration.', 409);
  }
  const cipher = createCallbackCipher({ token: options.callbackToken, aesKey: options.callbackAesKey, ownerKey: options.corpId || options.clientId });
  if (!safeEqual(cipher.sign(timestamp, nonce, encrypt), signature)) {
    throw new DingTalkError('dingtalk_signature_invalid', 'Callback signature does not match: check that the integration callbackToken equals the console "签名 token".', 401);
  }
  // Past the signature every failure (padding, length, owner key, clock, payload) answers alike, so
  // the answers are no oracle on the ciphertext; the reason goes to the debug log only.
  try {
    const plaintext = cipher.decrypt({ signature, timestamp, nonce, encrypt });
    checkTimestampFresh(timestamp, limits.now, limits.eventWindowMs);
    return { type: 'event', event: parseEventPlaintext(plaintext), cipher };
  } catch (error) {
    throw Object.assign(new DingTalkError(EVENT_REJECTED, 'The event callback was not accepted: check callbackAesKey and the owner key (ClientID, or CorpId) on the integration.', 400), {
      detail: error instanceof DingTalkError ? error.code : 'internal',
    });
  }
}

/** The one answer to a signed event callback that cannot be taken. */
export const EVENT_REJECTED = 'dingtalk_event_rejected' as const;

function verifyCard(headers: WebhookRequest['headers'], body: object, limits: WebhookLimits): VerifiedWebhook {
  // There is no unsigned mode: the plugin registers every HTTP integration's route with an apiSecret,
  // so a genuine callback is always signed, and an unsigned one is someone else's.
  if (!limits.cardApiSecret) {
    throw new DingTalkError('dingtalk_signature_invalid', 'Card callback refused: no card callback route is registered for this integration yet; click Test on the integration.', 401);
  }
  if (headers['x-ddpaas-signature'] === undefined || headers['x-ddpaas-signature-timestamp'] === undefined) {
    throw new DingTalkError('dingtalk_signature_missing', 'Card callback carries no x-ddpaas-signature.', 401);
  }
  checkCardCallback({
    timestamp: headers['x-ddpaas-signature-timestamp'],
    signature: headers['x-ddpaas-signature'],
    apiSecret: limits.cardApiSecret,
    now: limits.now,
  });
  return { type: 'card', event: parseCardCallback(body) };
}
