import type { DingTalkIntegration } from '../kernel/integration';
import { actionLinkSecret, buildActionLink } from '../kernel/action-link';
import type { ReplyActions } from '../reply/reply.port';
import { ACTIONS } from './job-payloads';

/** The link parameter that marks Confirm / Reject of a group conversation. */
export const GROUP_PARAM = 'group';

/** "End conversation" stays usable for a week; a confirmation is meant to be answered the same day. */
export const END_LINK_TTL_MS = 7 * 24 * 3600 * 1000;
export const CONFIRM_LINK_TTL_MS = 24 * 3600 * 1000;

/** The link parameter naming which interrupted run a Confirm/Reject answers. */
export const INTERRUPT_PARAM = 'interrupt';

export interface TurnActionsInput {
  /** Public origin of this server; without it no link can be built and none is offered. */
  publicBaseUrl?: string;
  integration: Pick<DingTalkIntegration, 'id' | 'options'>;
  sessionKey: string;
  /** The session's thread now: the links act on this conversation only, never on a later one. */
  threadId?: string;
  now: number;
  /** Set when the run is waiting for a decision. */
  interruptId?: string;
  /** A group conversation: Confirm / Reject count only as the asker's card click, never as an opened link. */
  group?: boolean;
}

/** Signed links for the closing message of a turn (P1: the link itself is the credential). */
export function turnActions(input: TurnActionsInput): ReplyActions {
  if (!input.publicBaseUrl) return {};
  const secret = actionLinkSecret(input.integration.options.clientSecret);
  const link = (action: string, ttlMs: number, params?: Record<string, string>) =>
    buildActionLink(input.publicBaseUrl as string, { integrationId: input.integration.id, sessionKey: input.sessionKey, threadId: input.threadId, action, params, expiresAt: input.now + ttlMs }, secret);
  const actions: ReplyActions = { endUrl: link(ACTIONS.end, END_LINK_TTL_MS) };
  if (input.interruptId) {
    const params: Record<string, string> = { [INTERRUPT_PARAM]: input.interruptId, ...(input.group ? { [GROUP_PARAM]: '1' } : {}) };
    actions.confirmUrl = link(ACTIONS.confirm, CONFIRM_LINK_TTL_MS, params);
    actions.rejectUrl = link(ACTIONS.reject, CONFIRM_LINK_TTL_MS, params);
  }
  return actions;
}
