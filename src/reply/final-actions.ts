import type { MessageButton } from '../dingtalk/outbound';
import { t, type Language } from '../i18n';
import { actionCard, markdown, titleFor, type OutgoingMessage } from './reply-message';
import type { ReplyActions } from './reply.port';

/**
 * The messages that close a turn, localized. Pure: the same input gives the same message, so a
 * retried job's send under the same key is a true repeat. Our own short texts double as the title
 * (what the chat list and the notification show); only free text gets a derived title.
 */

/** After a normal answer: the "End conversation" link, or nothing when the engine gave none. */
export function endOfAnswerMessage(language: Language, actions: ReplyActions): OutgoingMessage | undefined {
  if (!actions.endUrl) return undefined;
  const text = t(language, 'reply.finalHint');
  return actionCard(text, text, [{ title: t(language, 'reply.endConversation'), url: actions.endUrl }]);
}

/** The same closing hint as a markdown line, for an answer card to end with. */
export function endOfAnswerFooter(language: Language, actions: ReplyActions): string | undefined {
  if (!actions.endUrl) return undefined;
  return `${t(language, 'reply.finalHint')} [${t(language, 'reply.endConversation')}](${actions.endUrl})`;
}

/** The run waits for a human decision: what it wants to do, with Confirm / Reject links. */
export function interruptMessage(language: Language, prompt: string | undefined, actions: ReplyActions): OutgoingMessage {
  const title = t(language, 'reply.needsConfirmation');
  const text = prompt?.trim() ? `${title}\n\n${prompt.trim()}` : title;
  const buttons: MessageButton[] = [];
  if (actions.confirmUrl) buttons.push({ title: t(language, 'reply.confirm'), url: actions.confirmUrl });
  if (actions.rejectUrl) buttons.push({ title: t(language, 'reply.reject'), url: actions.rejectUrl });
  return actionCard(title, text, buttons);
}

/** The expert failed: say so briefly instead of leaving the user waiting (no internals shown). */
export function expertErrorMessage(language: Language): OutgoingMessage {
  const text = t(language, 'reply.expertError');
  return markdown(text, text);
}

/** A one-off notice; any links given become buttons (Confirm, Reject, End conversation). */
export function noticeMessage(language: Language, text: string, actions: ReplyActions = {}): OutgoingMessage {
  const buttons: MessageButton[] = [];
  if (actions.confirmUrl) buttons.push({ title: t(language, 'reply.confirm'), url: actions.confirmUrl });
  if (actions.rejectUrl) buttons.push({ title: t(language, 'reply.reject'), url: actions.rejectUrl });
  if (actions.endUrl) buttons.push({ title: t(language, 'reply.endConversation'), url: actions.endUrl });
  return actionCard(titleFor(text, language), text, buttons);
}
