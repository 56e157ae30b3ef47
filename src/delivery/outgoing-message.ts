import {
  actionCardMessage,
  markdownMessage,
  textMessage,
  webhookActionCard,
  webhookMarkdown,
  webhookText,
  type MessageButton,
  type RobotMessage,
  type WebhookBody,
} from '../dingtalk/outbound';

/**
 * One robot message, independent of the route it takes: the delivery turns it into a
 * sessionWebhook body or an OpenAPI msgKey/msgParam only once it knows which route is used.
 * Used by the streamed answer and the notify tools alike.
 */
export type OutgoingMessage =
  | { kind: 'text'; text: string; atUserIds?: string[] }
  | { kind: 'markdown'; title: string; text: string }
  | { kind: 'actionCard'; title: string; text: string; buttons: MessageButton[]; horizontal?: boolean };

/** OpenAPI form (`sampleText`, `sampleMarkdown`, `sampleActionCard…`); the OpenAPI cannot @ anyone. */
export function toRobotMessage(message: OutgoingMessage): RobotMessage {
  if (message.kind === 'text') return textMessage(message.text);
  if (message.kind === 'markdown') return markdownMessage(message.title, message.text);
  return actionCardMessage({ title: message.title, text: message.text, buttons: message.buttons, horizontal: message.horizontal === true });
}

/**
 * sessionWebhook form. DingTalk only highlights an @ whose `@userId` is in the text, so every
 * mentioned id is added to the text when missing (at the end, so a leading heading still renders).
 */
export function toWebhookBody(message: OutgoingMessage, mentionUserId?: string): WebhookBody {
  if (message.kind === 'actionCard') {
    return webhookActionCard({ title: message.title, text: message.text, buttons: message.buttons, horizontal: message.horizontal === true });
  }
  const ids = [...new Set([...(message.kind === 'text' ? (message.atUserIds ?? []) : []), ...(mentionUserId ? [mentionUserId] : [])])];
  if (message.kind === 'text') return webhookText(withMentions(message.text, ids, ' '), ids.length ? { atUserIds: ids } : undefined);
  if (ids.length === 0) return webhookMarkdown(message.title, message.text);
  return webhookMarkdown(message.title, withMentions(message.text, ids, '\n\n'), { atUserIds: ids });
}

/** The same message without @-mentions: what the OpenAPI fallback of a webhook send carries. */
export function withoutMentions(message: OutgoingMessage): OutgoingMessage {
  return message.kind === 'text' ? { kind: 'text', text: message.text } : message;
}

function withMentions(text: string, ids: string[], separator: string): string {
  const missing = ids.filter((id) => !text.includes(`@${id}`));
  return missing.length ? `${text}${separator}${missing.map((id) => `@${id}`).join(' ')}` : text;
}
