import { z } from 'zod';
import { notifyError } from '../notify-errors';

/**
 * Agents built with the earlier 0.0.9 plugin call the same tools with other parameter names (its
 * models were prompted with them, and saved prompts still name them). Each tool's schema accepts
 * those names too, and one small normalizer per tool maps them onto ours before anything runs; our
 * own names win when both are given. Parameters 0.0.9 had and we do not use (`sessionWebhook`,
 * `timeoutMs`, `robotCode`) are accepted and ignored: replies only go to DingTalk's own hosts, and
 * the time limit is the builder's.
 */

const loose = z.union([z.record(z.any()), z.string()]);

const IGNORED = {
  timeoutMs: z.number().optional().describe('Ignored; the time limit is set on the middleware.'),
};

export const LEGACY_TEXT_ARGS = {
  content: z.string().optional().describe('Same as text (older name).'),
  sessionWebhook: z.string().optional().describe('Ignored; the reply route is chosen automatically.'),
  ...IGNORED,
};

export const LEGACY_RICH_ARGS = {
  markdown: z.string().optional().describe('Same as text (older name).'),
  msgKey: z.string().optional().describe('Older form of a template message: sampleMarkdown, sampleText, sampleActionCard or sampleLink, with msgParam.'),
  msgParam: loose.optional().describe('Parameters of msgKey, as an object or JSON text.'),
  card: loose.optional().describe('Older form of an interactive card: {title, text, buttons} or {cardTemplateId, cardData}, as an object or JSON text.'),
  sessionWebhook: z.string().optional().describe('Ignored; the reply route is chosen automatically.'),
  ...IGNORED,
};

export const LEGACY_UPDATE_ARGS = {
  messageId: z.string().optional().describe('Same as message_id (older name).'),
  mode: z.string().optional().describe('Ignored; the kind of the original message decides.'),
  content: z.string().optional().describe('Same as text (older name).'),
  markdown: z.string().optional().describe('Same as text (older name).'),
  msgKey: z.string().optional().describe('Ignored.'),
  msgParam: loose.optional().describe('Older form: {title, text} as an object or JSON text.'),
  card: loose.optional().describe('Older form of cardData, as an object or JSON text.'),
  ...IGNORED,
};

export const LEGACY_RECALL_ARGS = {
  messageId: z.string().optional().describe('Same as message_id (older name).'),
  robotCode: z.string().optional().describe('Ignored; the integration’s robot is used.'),
  ...IGNORED,
};

export const LEGACY_LIST_USERS_ARGS = {
  pageSize: z.number().int().optional().describe('Same as limit (older name).'),
  pageToken: z.string().optional().describe('Same as cursor (older name).'),
  ...IGNORED,
};

type Args = Record<string, unknown>;

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** An object given as an object or as JSON text (0.0.9 accepted both). */
function objectOf(value: unknown, name: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // reported below
    }
    throw notifyError('notify_argument_invalid', `${name} must be a JSON object, e.g. {"title": "…", "text": "…"}.`);
  }
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw notifyError('notify_argument_invalid', `${name} must be an object.`);
}

function without(args: Args, keys: readonly string[]): Args {
  const copy = { ...args };
  for (const key of keys) delete copy[key];
  return copy;
}

export function normalizeTextArgs<T extends object>(input: T): Omit<T, 'text'> & { text: string } {
  const args = input as Args;
  const value = text(args.text) ?? text(args.content);
  if (value === undefined) throw notifyError('notify_argument_missing', 'Pass the message in text.');
  return { ...without(args, Object.keys(LEGACY_TEXT_ARGS)), text: value } as unknown as Omit<T, 'text'> & { text: string };
}

/** What `dingtalk_send_rich_notification` does with a 0.0.9-style call: one of our modes, or plain text. */
export type RichArgs<T> = Omit<T, 'mode'> & { mode: 'markdown' | 'interactive' | 'template' | 'text' };

const SAMPLE_KEYS = ['sampleMarkdown', 'sampleText', 'sampleActionCard', 'sampleLink'];

export function normalizeRichArgs<T extends { mode: string }>(input: T): RichArgs<T> {
  const args = input as unknown as Args;
  const base: Args = without(args, Object.keys(LEGACY_RICH_ARGS));
  if (base.text === undefined && text(args.markdown) !== undefined) base.text = args.markdown;
  // 0.0.9's template mode sent a robot message template (msgKey + msgParam), not a card template.
  if (args.mode === 'template' && !text(args.cardTemplateId) && text(args.msgKey)) {
    return { ...base, ...fromMsgKey(String(args.msgKey), objectOf(args.msgParam, 'msgParam') ?? {}) } as unknown as RichArgs<T>;
  }
  const card = objectOf(args.card, 'card');
  if (card) {
    if (text(card.cardTemplateId)) {
      return { ...base, mode: 'template', cardTemplateId: card.cardTemplateId, cardData: objectOf(card.cardData ?? card.cardParamMap, 'card.cardData') ?? {} } as unknown as RichArgs<T>;
    }
    return {
      ...base,
      mode: 'interactive',
      title: base.title ?? text(card.title),
      text: base.text ?? text(card.text) ?? text(card.markdown) ?? text(card.content),
      buttons: base.buttons ?? card.buttons,
    } as unknown as RichArgs<T>;
  }
  return base as unknown as RichArgs<T>;
}

function fromMsgKey(msgKey: string, param: Record<string, unknown>): Args {
  switch (msgKey) {
    case 'sampleMarkdown':
      return { mode: 'markdown', title: text(param.title), text: text(param.text) };
    case 'sampleText':
      return { mode: 'text', text: text(param.content) };
    case 'sampleActionCard':
      return {
        mode: 'interactive',
        title: text(param.title),
        text: text(param.text),
        ...(text(param.singleTitle) && text(param.singleURL) ? { buttons: [{ title: param.singleTitle, url: param.singleURL }] } : {}),
      };
    case 'sampleLink':
      return {
        mode: 'markdown',
        title: text(param.title),
        text: [text(param.text), text(param.messageUrl) ? `[${text(param.title) ?? param.messageUrl}](${param.messageUrl})` : undefined].filter(Boolean).join('\n\n'),
      };
    default:
      throw notifyError('notify_argument_invalid', `msgKey ${msgKey} is not supported; use mode "markdown" or "interactive" instead (or msgKey ${SAMPLE_KEYS.join(', ')}).`);
  }
}

export function normalizeUpdateArgs<T extends object>(input: T): Omit<T, 'message_id'> & { message_id: string } {
  const args = input as Args;
  const base: Args = without(args, Object.keys(LEGACY_UPDATE_ARGS));
  const id = text(args.message_id) ?? text(args.messageId);
  if (id === undefined) throw notifyError('notify_argument_missing', 'Pass message_id: the message_id returned when the message was sent.');
  const param = objectOf(args.msgParam, 'msgParam');
  const card = objectOf(args.card, 'card');
  const cardData = card ? (objectOf(card.cardData ?? card.cardParamMap, 'card.cardData') ?? card) : undefined;
  return {
    ...base,
    message_id: id,
    ...(base.text === undefined ? definedText(text(args.content) ?? text(args.markdown) ?? text(param?.text) ?? text(param?.content)) : {}),
    ...(base.title === undefined && text(param?.title) ? { title: text(param?.title) } : {}),
    ...(base.cardData === undefined && cardData ? { cardData } : {}),
  } as unknown as Omit<T, 'message_id'> & { message_id: string };
}

const definedText = (value: string | undefined) => (value === undefined ? {} : { text: value });

export function normalizeRecallArgs<T extends object>(input: T): Omit<T, 'message_id'> & { message_id: string } {
  const args = input as Args;
  const id = text(args.message_id) ?? text(args.messageId);
  if (id === undefined) throw notifyError('notify_argument_missing', 'Pass message_id: the message_id returned when the message was sent.');
  return { ...without(args, Object.keys(LEGACY_RECALL_ARGS)), message_id: id } as unknown as Omit<T, 'message_id'> & { message_id: string };
}

export function normalizeListUsersArgs<T extends object>(input: T): T {
  const args = input as Args;
  const base: Args = without(args, Object.keys(LEGACY_LIST_USERS_ARGS));
  if (base.limit === undefined && typeof args.pageSize === 'number') base.limit = args.pageSize;
  if (base.cursor === undefined && text(args.pageToken)) base.cursor = args.pageToken;
  return base as unknown as T;
}
