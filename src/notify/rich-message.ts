import { toCardData } from '../dingtalk/outbound';
import { splitMarkdown, MAX_ACTION_CARD_BUTTONS, type MessageButton } from '../dingtalk/outbound';
import { actionLinkSecret, buildActionLink } from '../kernel/action-link';
import { sessionKeyFor } from '../kernel/session-key';
import type { CardSpec, OutgoingMessage } from './notify-delivery';
import type { NotifyIntegration } from './notify-deps';
import { notifyError } from './notify-errors';
import type { NotifyRecipient } from './recipient.resolver';

/**
 * Turns what the model asked for into DingTalk messages: long text split into several messages
 * (never truncated), interactive messages as a card (when the integration has a card template) or
 * as an action card whose action buttons are signed action links.
 */

/** The action every notify button reports back with, through either path. */
export const CARD_ACTION = 'dingtalk:card_action';
/** Signed action links stay valid this long. */
export const ACTION_LINK_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface ButtonInput {
  title: string;
  url?: string;
  action?: string;
  value?: string;
}

export function textParts(text: string, atUserIds?: string[]): OutgoingMessage[] {
  const chunks = splitMarkdown(requireBody(text, 'text'));
  return chunks.map((chunk, index) => ({ kind: 'text', text: chunk, ...(index === 0 && atUserIds?.length ? { atUserIds } : {}) }));
}

export function markdownParts(title: string, text: string): OutgoingMessage[] {
  const chunks = splitMarkdown(requireBody(text, 'text'));
  const heading = requireBody(title, 'title');
  return chunks.map((chunk, index) => ({ kind: 'markdown', title: numbered(heading, index, chunks.length), text: chunk }));
}

/** Checks the buttons the model passed: 1–5, each a link (`url`) or an action (`action` + `value`). */
export function validateButtons(buttons: ButtonInput[] | undefined): ButtonInput[] {
  if (!buttons || buttons.length === 0) throw notifyError('notify_buttons_invalid', 'An interactive message needs at least one button; use mode "markdown" for plain text.');
  if (buttons.length > MAX_ACTION_CARD_BUTTONS) throw notifyError('notify_buttons_invalid', `DingTalk shows at most ${MAX_ACTION_CARD_BUTTONS} buttons; got ${buttons.length}.`);
  return buttons.map((button, index) => {
    const title = button.title?.trim();
    if (!title) throw notifyError('notify_buttons_invalid', `Button ${index + 1} has no title.`);
    const hasUrl = Boolean(button.url?.trim());
    const hasAction = Boolean(button.action?.trim());
    if (hasUrl === hasAction) throw notifyError('notify_buttons_invalid', `Button "${title}" needs either a url or an action (not both, not neither).`);
    if (hasUrl && !/^(https?:\/\/|dingtalk:\/\/)/i.test(button.url!.trim())) throw notifyError('notify_buttons_invalid', `Button "${title}": the url must start with https://, http:// or dingtalk://.`);
    return hasUrl ? { title, url: button.url!.trim() } : { title, action: button.action!.trim(), value: button.value ?? '' };
  });
}

/**
 * Interactive message without a card template: markdown parts, the last one an action card. Action
 * buttons become signed links to `/api/dingtalk/action` carrying `dingtalk:card_action` with the
 * button's action and value, so a click comes back through the same queue as a card callback.
 */
export function actionCardParts(
  input: { title: string; text: string; buttons: ButtonInput[]; key: string },
  ctx: { integration: NotifyIntegration; recipient: NotifyRecipient; publicBaseUrl?: string; now: number },
): OutgoingMessage[] {
  const parts = markdownParts(input.title, input.text);
  const lastKey = `${input.key}:p${parts.length}`;
  const buttons: MessageButton[] = input.buttons.map((button) => {
    if (button.url) return { title: button.title, url: button.url };
    if (!ctx.publicBaseUrl) {
      throw notifyError(
        'notify_public_url_missing',
        'Action buttons need this server’s public address (DINGTALK_PUBLIC_BASE_URL / API_BASE_URL), which is not configured; use url buttons, or ask the admin to set it.',
      );
    }
    const url = buildActionLink(
      ctx.publicBaseUrl,
      {
        integrationId: ctx.integration.id,
        sessionKey: notifySessionKey(ctx.recipient),
        action: CARD_ACTION,
        params: { action: button.action as string, value: button.value ?? '', message_key: lastKey },
        expiresAt: ctx.now + ACTION_LINK_TTL_MS,
      },
      actionLinkSecret(ctx.integration.options.clientSecret),
    );
    return { title: button.title, url };
  });
  const last = parts[parts.length - 1] as Extract<OutgoingMessage, { kind: 'markdown' }>;
  parts[parts.length - 1] = { kind: 'actionCard', title: last.title, text: last.text, buttons };
  return parts;
}

/**
 * Interactive message as a card of the integration's template. The template is expected to bind
 * `title`, `content` (markdown) and `buttons` (JSON list of `{id, title, url}` or
 * `{id, title, action, value}`); an action button's callback params should be its `action` and
 * `value`, which arrive with the card callback (`dingtalk:card_action` jobs) under its outTrackId.
 */
export function interactiveCard(input: { title: string; text: string; buttons: ButtonInput[] }, cardTemplateId: string): CardSpec {
  const buttons = input.buttons.map((button, index) => ({ id: `b${index + 1}`, ...button }));
  return {
    cardTemplateId,
    kind: 'interactive_card',
    cardData: toCardData({ title: requireBody(input.title, 'title'), content: requireBody(input.text, 'text'), buttons }),
    request: { title: input.title, buttons: buttons.map(({ id, title, action }) => ({ id, title, ...(action ? { action } : {}) })) },
  };
}

export function templateCard(cardTemplateId: string | undefined, cardData: Record<string, unknown> | undefined): CardSpec {
  const id = cardTemplateId?.trim();
  if (!id) throw notifyError('notify_card_template_missing', 'mode "template" needs cardTemplateId: the id of a published card template (DingTalk developer console → Card platform).');
  return { cardTemplateId: id, kind: 'template_card', cardData: toCardData(cardData ?? {}), request: { cardTemplateId: id } };
}

/** Which chat session a notify button belongs to (the key the action queue orders jobs by). */
export function notifySessionKey(recipient: NotifyRecipient): string {
  if (recipient.source === 'run_context' && recipient.conversationId) {
    return sessionKeyFor(recipient.integrationId, { conversationId: recipient.conversationId, senderStaffId: recipient.senderStaffId, senderId: '' });
  }
  return `${recipient.integrationId}:notify:${recipient.type}:${recipient.ids.join(',')}`;
}

/** A short title from the first line of a text (DingTalk shows it in the chat list). */
export function titleFrom(text: string | undefined, fallback: string): string {
  const line = (text ?? '')
    .split('\n')
    .map((l) => l.replace(/[*_`~]/g, '').replace(/[#>|]/g, ' ').replace(/\s+/g, ' ').trim())
    .find(Boolean);
  if (!line) return fallback;
  const chars = [...line];
  return chars.length > 30 ? `${chars.slice(0, 29).join('')}…` : line;
}

function numbered(title: string, index: number, total: number): string {
  return total > 1 ? `${title} (${index + 1}/${total})` : title;
}

function requireBody(value: string | undefined, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw notifyError('notify_message_empty', `The ${field} is empty; DingTalk cannot show an empty message.`);
  return value;
}
