import { createHmac, randomBytes } from 'node:crypto';
import { DingTalkError } from './errors';
import { safeEqual } from './safe-equal';
import type { ActionEvent } from './inbound-event';

/**
 * Signed links for chat actions (end the conversation, confirm or reject a step). DingTalk opens
 * them in a browser with no login, so the link itself is the credential: an HMAC over every
 * parameter, keyed by a secret derived from the integration's app secret, with an expiry.
 */
export interface ActionLink {
  integrationId: string;
  sessionKey: string;
  action: string;
  /** Extra values the action needs (e.g. which interrupted run), all strings. */
  params?: Record<string, string>;
  expiresAt: number;
  /** Single-use token: the first use is recorded, later ones change nothing. Generated when omitted. */
  nonce?: string;
  /** The session's thread when the link was issued: the link acts on that conversation only. */
  threadId?: string;
}

const PARAM_PREFIX = 'p_';

/** Derived so the app secret itself never leaves the server, and rotating it revokes old links. */
export function actionLinkSecret(clientSecret: string): string {
  return createHmac('sha256', clientSecret).update('dingtalk-action-link/v1').digest('base64url');
}

export function buildActionLink(baseUrl: string, link: ActionLink, secret: string): string {
  const query = toQuery({ ...link, nonce: link.nonce ?? randomBytes(12).toString('base64url') });
  query.set('sig', sign(query, secret));
  return `${baseUrl.replace(/\/+$/, '')}/api/dingtalk/action?${query.toString()}`;
}

export function verifyActionLink(query: Record<string, string | undefined>, secret: string, now: number): ActionLink & { signature: string; nonce: string } {
  const signature = query.sig;
  const link = fromQuery(query);
  if (!signature || !safeEqual(sign(toQuery(link), secret), signature)) {
    throw new DingTalkError('dingtalk_action_link_invalid', 'This action link is not valid; use the buttons of the latest message.', 403);
  }
  // Session keys begin with their integration id: a link names sessions of its own integration only.
  if (!link.sessionKey.startsWith(`${link.integrationId}:`)) {
    throw new DingTalkError('dingtalk_action_link_invalid', 'This action link is not valid; use the buttons of the latest message.', 403);
  }
  // Links issued before actions became single-use carry no nonce; they are retired, not honoured.
  if (link.expiresAt < now || !link.nonce) {
    throw new DingTalkError('dingtalk_action_link_expired', 'This action link has expired; use the buttons of the latest message.', 410);
  }
  return { ...link, nonce: link.nonce, signature };
}

/**
 * The event a verified link becomes, whether it was opened in a browser or pressed on a card. The
 * nonce names the action on every path, so a card click and an opened link of the same action are
 * one inbox row, one job.
 */
export function actionEventOf(link: ActionLink & { nonce: string }): ActionEvent {
  return {
    kind: 'action',
    eventId: `action:${link.nonce}`,
    action: link.action,
    sessionKey: link.sessionKey,
    params: link.params ?? {},
    nonce: link.nonce,
    ...(link.threadId ? { threadId: link.threadId } : {}),
  };
}

/** The integration id is needed (to find the secret) before the signature can be checked. */
export function integrationIdOf(query: Record<string, string | undefined>): string | undefined {
  return query.i || undefined;
}

function toQuery(link: ActionLink): URLSearchParams {
  const query = new URLSearchParams();
  query.set('i', link.integrationId);
  query.set('s', link.sessionKey);
  query.set('action', link.action);
  query.set('e', String(link.expiresAt));
  if (link.nonce) query.set('n', link.nonce);
  if (link.threadId) query.set('t', link.threadId);
  for (const key of Object.keys(link.params ?? {}).sort()) query.set(PARAM_PREFIX + key, (link.params ?? {})[key]);
  return query;
}

function fromQuery(query: Record<string, string | undefined>): ActionLink {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (key.startsWith(PARAM_PREFIX) && typeof value === 'string') params[key.slice(PARAM_PREFIX.length)] = value;
  }
  const expiresAt = Number(query.e);
  return {
    integrationId: query.i ?? '',
    sessionKey: query.s ?? '',
    action: query.action ?? '',
    params,
    expiresAt: Number.isFinite(expiresAt) ? expiresAt : 0,
    ...(query.n ? { nonce: query.n } : {}),
    ...(query.t ? { threadId: query.t } : {}),
  };
}

function sign(query: URLSearchParams, secret: string): string {
  const canonical = [...query.entries()].map(([k, v]) => `${k}=${v}`).join('&');
  return createHmac('sha256', secret).update(canonical).digest('base64url');
}
