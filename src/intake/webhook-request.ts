import type { DingTalkIntegrationOptions } from '../config/integration-options';
import { DingTalkError } from '../errors';
import { createCallbackCipher, type CallbackCipher } from '../dingtalk/callback-cipher';
import { checkCardCallback, checkRobotRequest, checkTimestampFresh } from '../dingtalk/request-signature';
import type { CardActionEvent, PlatformEvent, RobotMessageEvent } from '../dingtalk/inbound-event';
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
  if (headers['x-ddpaas-signature'] !== undefined || (body as { type?: unknown }).type === 'actionCallback') {
    return verifyCard(headers, body, options, limits);
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
  // Signature before freshness: an attacker learns nothing about our clock window from forged requests.
  const plaintext = cipher.decrypt({ signature, timestamp, nonce, encrypt });
  checkTimestampFresh(timestamp, limits.now, limits.eventWindowMs);
  return { type: 'event', event: parseEventPlaintext(plaintext), cipher };
}

function verifyCard(headers: WebhookRequest['headers'], body: object, options: DingTalkIntegrationOptions, limits: WebhookLimits): VerifiedWebhook {
  // DingTalk signs card callbacks only when an apiSecret was registered with the route. Without one
  // the body is unauthenticated, so the conversation engine acts only on button params it signed
  // itself when it built the card.
  if (options.cardCallbackSecret) {
    checkCardCallback({
      timestamp: headers['x-ddpaas-signature-timestamp'],
      signature: headers['x-ddpaas-signature'],
      apiSecret: options.cardCallbackSecret,
      now: limits.now,
    });
  }
  return { type: 'card', event: parseCardCallback(body) };
}
