import { toRobotMessage as robotForm, toWebhookBody as webhookForm, type OutgoingMessage } from '../delivery/outgoing-message';
import type { MessageButton, RobotMessage, WebhookBody } from '../dingtalk/outbound';
import { t, type Language } from '../i18n';

/** One message of a reply: the delivery's message type (the route is chosen when it is sent). */
export type { OutgoingMessage } from '../delivery/outgoing-message';

/** Who to @ in a group webhook message (the OpenAPI cannot @, fact sheet §4). */
export interface Mention {
  userId: string;
}

const TITLE_MAX_CHARS = 40;

export function markdown(title: string, text: string): OutgoingMessage {
  return { kind: 'markdown', title, text };
}

export function actionCard(title: string, text: string, buttons: MessageButton[]): OutgoingMessage {
  // Two buttons side by side, more stacked.
  return buttons.length > 0 ? { kind: 'actionCard', title, text, buttons, horizontal: buttons.length === 2 } : markdown(title, text);
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
  return robotForm(message);
}

/** sessionWebhook form; a mention @s the asker at the end of the text. */
export function toWebhookBody(message: OutgoingMessage, mention?: Mention): WebhookBody {
  return webhookForm(message, mention?.userId);
}
