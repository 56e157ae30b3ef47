import { isAllowedSessionWebhook } from '../dingtalk/client';
import type { ReplyTarget } from './reply.port';

/**
 * Whether a reply may go through the message's sessionWebhook. Pure (the clock is a parameter).
 *
 * - P19: the URL came inside an inbound payload, so it is only called when its origin is one of the
 *   configured DingTalk hosts; anything else goes through the OpenAPI and the URL is never touched.
 * - A webhook close to its expiry is skipped (`marginMs`): a send that starts just before the expiry
 *   and arrives after it would fail anyway and cost a round trip before the OpenAPI fallback.
 * - An unknown expiry is allowed: DingTalk always sends one, and a failed post falls back anyway.
 */
export type WebhookDecision = 'usable' | 'absent' | 'expired' | 'foreign_host';

export interface WebhookPolicyInput {
  now: number;
  hosts: { apiBaseUrl: string; oapiBaseUrl: string };
  marginMs: number;
}

export function sessionWebhookDecision(target: Pick<ReplyTarget, 'sessionWebhook' | 'sessionWebhookExpiresAt'>, input: WebhookPolicyInput): WebhookDecision {
  if (!target.sessionWebhook) return 'absent';
  if (!isAllowedSessionWebhook(target.sessionWebhook, input.hosts)) return 'foreign_host';
  const expiresAt = target.sessionWebhookExpiresAt;
  if (typeof expiresAt === 'number' && Number.isFinite(expiresAt) && expiresAt - input.marginMs <= input.now) return 'expired';
  return 'usable';
}
