import { isAllowedSessionWebhook } from '../dingtalk/session-webhook-policy';

/**
 * Which route a robot message takes. Pure (the clock is a parameter).
 *
 * - P19: a sessionWebhook came inside an inbound payload, so it is only called when its origin is
 *   one of the configured DingTalk hosts; anything else is never touched.
 * - A webhook this close to its expiry is not used (`WEBHOOK_EXPIRY_MARGIN_MS`, one margin for
 *   every sender): a post that starts just before the expiry may arrive after it.
 * - An unknown expiry is allowed: DingTalk always sends one, and a refused post falls back anyway.
 */
export type WebhookDecision = 'usable' | 'absent' | 'expired' | 'foreign_host' | 'failed_earlier';

export const WEBHOOK_EXPIRY_MARGIN_MS = 60_000;

export interface WebhookPolicyInput {
  now: number;
  hosts: { apiBaseUrl: string; oapiBaseUrl: string };
  marginMs?: number;
}

export function sessionWebhookDecision(target: { sessionWebhook?: string; sessionWebhookExpiresAt?: number }, input: WebhookPolicyInput): WebhookDecision {
  if (!target.sessionWebhook) return 'absent';
  if (!isAllowedSessionWebhook(target.sessionWebhook, input.hosts)) return 'foreign_host';
  const expiresAt = target.sessionWebhookExpiresAt;
  const margin = input.marginMs ?? WEBHOOK_EXPIRY_MARGIN_MS;
  if (typeof expiresAt === 'number' && Number.isFinite(expiresAt) && expiresAt - margin <= input.now) return 'expired';
  return 'usable';
}

/**
 * The route of one send: the webhook when it is usable and either preferred or the only way
 * (no OpenAPI address, e.g. an external user); else the OpenAPI; `none` when neither works.
 */
export function chooseRoute(decision: WebhookDecision, input: { preferWebhook: boolean; hasOpenApiAddress: boolean }): 'webhook' | 'openapi' | 'none' {
  if (decision === 'usable' && (input.preferWebhook || !input.hasOpenApiAddress)) return 'webhook';
  return input.hasOpenApiAddress ? 'openapi' : 'none';
}
