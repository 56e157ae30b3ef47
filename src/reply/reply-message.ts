import {
  actionCardMessage,
  markdownMessage,
  webhookActionCard,
  webhookMarkdown,
  type MessageButton,
  type RobotMessage,
  type WebhookBody,
} from '../dingtalk/outbound';
import { t, type Language } from '../i18n';

/**
 * One message of a reply, independent of the route it takes. The sender turns it into a
 * sessionWebhook body or an OpenAPI msgKey/msgParam only once it knows which route works.
 */
export type OutgoingMessage =
  | { kind: 'markdown'; title: string; text: string }
  | { kind: 'actionCard'; title: string; text: string; buttons: MessageButton[] };

/** Who to @ in a group webhook message (the OpenAPI cannot @, fact sheet §4). */
export interface Mention {
  userId: string;
}

const TITLE_MAX_CHARS = 40;

export function markdown(title: string, text: string): OutgoingMessage {
  return { kind: 'markdown', title, text };
}

export function actionCard(title: string, text: string, buttons: MessageButton[]): OutgoingMessage {
  return buttons.length > 0 ? { kind: 'actionCard', title, text, buttons } : markdown(title, text);
}

/**
 * The title DingTalk shows in the chat list and the notification: the first line of the text with
 * markdown marks removed, shortened. Deterministic, so a retried send carries the same title.
 */
export function titleFor(text: string, language: Language): string {
  for (const raw of text.split('\n')) {
    const line = raw
      .replace(/^\s*(?:[#>*+-]+\s*|\d+[.)]\s+|`{3,}.*$)/, '')
      .replace(/[*_`~[\]!]/g, '')
      .replace(/\s+/g, ' ')
      .trim();
    if (line) return Array.from(line).length > TITLE_MAX_CHARS ? `${Array.from(line).slice(0, TITLE_MAX_CHARS - 1).join('')}…` : line;
  }
  return t(language, 'reply.title');
}

/** OpenAPI form (`sampleMarkdown`, `sampleActionCard…`); the API cannot @ anyone. */
export function toRobotMessage(message: OutgoingMessage): RobotMessage {
  if (message.kind === 'markdown') return markdownMessage(message.title, message.text);
  const horizontal = message.buttons.length === 2;
  return actionCardMessage({ title: message.title, text: message.text, buttons: message.buttons, horizontal });
}

/**
 * sessionWebhook form. A mention needs both the `at` list and `@userId` in the text (DingTalk only
 * highlights ids that appear in the text); it goes at the end so a leading heading still renders.
 */
export function toWebhookBody(message: OutgoingMessage, mention?: Mention): WebhookBody {
  if (message.kind === 'actionCard') {
    return webhookActionCard({ title: message.title, text: message.text, buttons: message.buttons, horizontal: message.buttons.length === 2 });
  }
  if (!mention) return webhookMarkdown(message.title, message.text);
  return webhookMarkdown(message.title, `${message.text}\n\n@${mention.userId}`, { atUserIds: [mention.userId] });
}
