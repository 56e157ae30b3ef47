import { linkQueryOf } from '../conversation/card-action.handler';
import { ACTIONS } from '../conversation/job-payloads';
import type { CardActionEvent } from '../kernel/inbound-event';
import { t } from '../i18n';
import { ConversationStateRepository } from '../persistence/conversation-state.repository';
import type { Queryable } from '../persistence';
import type { ReplyTarget } from '../kernel/run-context';
import { actionLinkSecret, verifyActionLink } from '../kernel/action-link';
import type { DingTalkIntegration } from '../kernel/integration';

const SESSION_ACTIONS = new Set<string>([ACTIONS.end, ACTIONS.confirm, ACTIONS.reject]);

export type CardClickVerdict = { pass: true } | { pass: false; reason: 'invalid_action' } | { pass: false; reason: 'not_asker'; notice: string };

/**
 * At the door, before anything is stored: a card button standing for an End / Confirm / Reject
 * link counts only when its link is genuine and the presser is the person the session belongs to
 * (the asker). Anyone else changes nothing and gets a polite "only <asker> can answer this" on
 * their own view of the card. The job re-checks everything (this is no lock, just an early answer).
 */
export async function judgeCardClick(db: Queryable, integration: Pick<DingTalkIntegration, 'id' | 'options'>, event: CardActionEvent, now: number): Promise<CardClickVerdict> {
  const query = linkQueryOf(event.params ?? {});
  if (!query) return { pass: true };
  let link;
  try {
    link = verifyActionLink(query, actionLinkSecret(integration.options.clientSecret), now);
  } catch {
    return { pass: false, reason: 'invalid_action' };
  }
  if (link.integrationId !== integration.id) return { pass: false, reason: 'invalid_action' };
  if (!SESSION_ACTIONS.has(link.action)) return { pass: true };
  const asker = link.sessionKey.slice(link.sessionKey.lastIndexOf(':') + 1);
  if (asker === event.userId) return { pass: true };
  const target = (await new ConversationStateRepository(db).get<ReplyTarget>(link.sessionKey))?.replyTarget;
  const name = target?.senderNick || asker;
  return { pass: false, reason: 'not_asker', notice: t(target?.language ?? integration.options.preferredLanguage, 'action.askerOnly.card', { asker: name }) };
}

/** The card callback answer that shows `notice` to the presser only (private data of the card). */
export function cardNoticeResponse(notice: string): Record<string, unknown> {
  return { userPrivateData: { cardParamMap: { notice } }, cardUpdateOptions: { updatePrivateDataByKey: true } };
}
