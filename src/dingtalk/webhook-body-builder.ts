import { type MessageButton, requireButtons, requireText } from './message-validation';

/**
 * Bodies for a message's `sessionWebhook` (and for the synchronous HTTP-mode reply): the
 * custom-robot webhook shapes, `{ msgtype, <msgtype>: {...}, at? }`.
 */

export interface WebhookAt {
  /** userIds to @; DingTalk only highlights them when the text also contains `@userId`. */
  atUserIds?: string[];
  atMobiles?: string[];
  isAtAll?: boolean;
}

export interface WebhookTextBody {
  msgtype: 'text';
  text: { content: string };
  at?: WebhookAt;
}

export interface WebhookMarkdownBody {
  msgtype: 'markdown';
  markdown: { title: string; text: string };
  at?: WebhookAt;
}

export interface WebhookActionCardBody {
  msgtype: 'actionCard';
  actionCard: {
    title: string;
    text: string;
    /** '0' stacked, '1' side by side. */
    btnOrientation: '0' | '1';
    singleTitle?: string;
    singleURL?: string;
    btns?: { title: string; actionURL: string }[];
  };
}

export interface WebhookLinkBody {
  msgtype: 'link';
  link: { title: string; text: string; messageUrl: string; picUrl?: string };
}

/** The synchronous HTTP-mode reply that posts nothing. */
export interface WebhookEmptyBody {
  msgtype: 'empty';
}

export type WebhookBody = WebhookTextBody | WebhookMarkdownBody | WebhookActionCardBody | WebhookLinkBody | WebhookEmptyBody;

export interface WebhookActionCardInput {
  title: string;
  text: string;
  buttons: MessageButton[];
  horizontal?: boolean;
}

export function webhookText(content: string, at?: WebhookAt): WebhookTextBody {
  return { msgtype: 'text', text: { content: requireText(content, 'content') }, ...withAt(at) };
}

export function webhookMarkdown(title: string, text: string, at?: WebhookAt): WebhookMarkdownBody {
  return {
    msgtype: 'markdown',
    markdown: { title: requireText(title, 'title'), text: requireText(text, 'text') },
    ...withAt(at),
  };
}

/** One button → a whole-card link (`singleTitle`/`singleURL`); more → independent buttons (`btns`). */
export function webhookActionCard(input: WebhookActionCardInput): WebhookActionCardBody {
  const title = requireText(input?.title, 'title');
  const text = requireText(input?.text, 'text');
  const buttons = requireButtons(input?.buttons);
  const btnOrientation = input.horizontal ? '1' : '0';
  if (buttons.length === 1) {
    return {
      msgtype: 'actionCard',
      actionCard: { title, text, btnOrientation, singleTitle: buttons[0].title, singleURL: buttons[0].url },
    };
  }
  return {
    msgtype: 'actionCard',
    actionCard: { title, text, btnOrientation, btns: buttons.map((b) => ({ title: b.title, actionURL: b.url })) },
  };
}

export function webhookLink(input: { title: string; text: string; messageUrl: string; picUrl?: string }): WebhookLinkBody {
  const link: WebhookLinkBody['link'] = {
    title: requireText(input?.title, 'title'),
    text: requireText(input?.text, 'text'),
    messageUrl: requireText(input?.messageUrl, 'messageUrl'),
  };
  if (input.picUrl !== undefined) link.picUrl = requireText(input.picUrl, 'picUrl');
  return { msgtype: 'link', link };
}

export function webhookEmpty(): WebhookEmptyBody {
  return { msgtype: 'empty' };
}

function withAt(at: WebhookAt | undefined): { at?: WebhookAt } {
  if (!at) return {};
  const normalized: WebhookAt = {};
  if (at.atUserIds?.length) normalized.atUserIds = [...at.atUserIds];
  if (at.atMobiles?.length) normalized.atMobiles = [...at.atMobiles];
  if (at.isAtAll) normalized.isAtAll = true;
  return Object.keys(normalized).length > 0 ? { at: normalized } : {};
}
