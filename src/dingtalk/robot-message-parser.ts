import type { QuotedMessage, RobotAtUser, RobotAttachment, RobotMessageEvent, RobotMsgType } from '../kernel/inbound-event';
import {
  defined,
  firstString,
  isObject,
  type JsonObject,
  optionalNumber,
  optionalString,
  payloadInvalid,
  requiredString,
  toObject,
} from './payload-reader';

const KNOWN_TYPES: ReadonlySet<string> = new Set(['text', 'richText', 'picture', 'audio', 'video', 'file']);
// Seen in outgoing-webhook payloads of robots without a code.
const PLACEHOLDER_ROBOT_CODE = 'normal';

export interface RobotMessageParseOptions {
  /** Used for `createdAt` when the payload carries no usable `createAt`. */
  now?: () => number;
}

/**
 * Robot chat message → RobotMessageEvent. Accepts the HTTP body object or the Stream frame's
 * `data` (object or JSON string). Throws only `dingtalk_payload_invalid`.
 */
export function parseRobotMessage(raw: unknown, options: RobotMessageParseOptions = {}): RobotMessageEvent {
  const body = toObject(raw, 'robot message');
  const what = 'robot message';
  const eventId = requiredString(body, 'msgId', what);
  const conversationId = requiredString(body, 'conversationId', what);
  const senderId = requiredString(body, 'senderId', what);
  const conversationType = readConversationType(body.conversationType);
  const content = isObject(body.content) ? body.content : undefined;
  const errorMessage = readQuotaError(body);
  const msgType: RobotMsgType = errorMessage !== undefined ? 'unknown' : readMsgType(body.msgtype);

  return {
    kind: 'message',
    eventId,
    msgType,
    conversationType,
    conversationId,
    ...defined({
      conversationTitle: optionalString(body.conversationTitle),
      senderStaffId: optionalString(body.senderStaffId),
      senderUnionId: optionalString(body.senderUnionId),
      senderNick: optionalString(body.senderNick),
      senderCorpId: optionalString(body.senderCorpId),
      chatbotUserId: optionalString(body.chatbotUserId),
      robotCode: readRobotCode(body.robotCode),
      sessionWebhook: optionalString(body.sessionWebhook),
      sessionWebhookExpiresAt: optionalNumber(body.sessionWebhookExpiredTime),
      errorMessage,
    }),
    senderId,
    isInAtList: body.isInAtList === true || body.isInAtList === 'true',
    atUsers: readAtUsers(body.atUsers),
    createdAt: optionalNumber(body.createAt) ?? (options.now ?? Date.now)(),
    text: readText(msgType, body, content),
    attachments: readAttachments(msgType, content),
    ...defined({ quoted: readQuoted(body) }),
    raw: body,
  };
}

/**
 * A reply to an earlier message carries it in `text.repliedMsg` (`isReplyMsg: true`): `msgType`,
 * `msgId`, `senderId` and `content` shaped like a message of that type (`{text}`, `{richText: […]}`,
 * `{downloadCode, fileName}`). Read leniently: a quote we cannot read is simply left out.
 */
function readQuoted(body: JsonObject): QuotedMessage | undefined {
  const holder = isObject(body.text) ? body.text : body;
  const replied = holder.repliedMsg;
  if (!isObject(replied)) return undefined;
  const msgType = readMsgType(replied.msgType ?? replied.msgtype);
  const content = isObject(replied.content) ? replied.content : undefined;
  const text =
    msgType === 'text'
      ? (optionalString(content?.text) ?? optionalString(content?.content) ?? '').trim()
      : readText(msgType, { text: { content: '' } }, content);
  const attachments = readAttachments(msgType, content);
  if (!text && attachments.length === 0) return undefined;
  return { msgType, text, attachments, ...defined({ msgId: optionalString(replied.msgId), senderId: optionalString(replied.senderId) }) };
}

function readConversationType(value: unknown): 'private' | 'group' {
  if (value === '1' || value === 1) return 'private';
  if (value === '2' || value === 2) return 'group';
  throw payloadInvalid('robot message has no valid "conversationType" (expected "1" or "2")', { field: 'conversationType' });
}

function readMsgType(value: unknown): RobotMsgType {
  return typeof value === 'string' && KNOWN_TYPES.has(value) ? (value as RobotMsgType) : 'unknown';
}

function readRobotCode(value: unknown): string | undefined {
  const code = optionalString(value);
  return code === PLACEHOLDER_ROBOT_CODE ? undefined : code;
}

/** Quota exhausted (20001): the message arrives without text or content but with an error field. */
function readQuotaError(body: JsonObject): string | undefined {
  const present = (value: unknown) => value !== undefined && value !== null;
  const hasContent = present(body.text) || present(body.content);
  if (hasContent) return undefined;
  return firstString(body, 'errorMessage', 'errMsg');
}

function readText(msgType: RobotMsgType, body: JsonObject, content: JsonObject | undefined): string {
  switch (msgType) {
    case 'text':
      return readPlainText(body);
    case 'richText':
      return readRichTextItems(content)
        .map((item) => (typeof item.text === 'string' ? item.text.trim() : ''))
        .filter((text) => text.length > 0)
        .join('\n');
    case 'audio':
      return (optionalString(content?.recognition) ?? '').trim();
    default:
      return '';
  }
}

/** `text.content` per the docs; one HTTP sample puts the string in a top-level `content`. */
function readPlainText(body: JsonObject): string {
  if (isObject(body.text) && typeof body.text.content === 'string') return body.text.content.trim();
  if (typeof body.content === 'string') return body.content.trim();
  return '';
}

function readRichTextItems(content: JsonObject | undefined): JsonObject[] {
  const items = content?.richText;
  return Array.isArray(items) ? items.filter(isObject) : [];
}

function readAttachments(msgType: RobotMsgType, content: JsonObject | undefined): RobotAttachment[] {
  if (!content) return [];
  switch (msgType) {
    case 'picture':
      return compact([attachment('picture', content)]);
    case 'audio':
    case 'video':
    case 'file':
      return compact([attachment(msgType, content)]);
    case 'richText':
      return compact(
        readRichTextItems(content)
          .filter((item) => item.type === 'picture' || (item.text === undefined && item.downloadCode !== undefined))
          .map((item) => attachment('picture', item)),
      );
    default:
      return [];
  }
}

function attachment(kind: RobotAttachment['kind'], source: JsonObject): RobotAttachment | undefined {
  const downloadCode = firstString(source, 'downloadCode', 'pictureDownloadCode');
  if (downloadCode === undefined) return undefined;
  return {
    kind,
    downloadCode,
    ...defined({
      fileName: kind === 'file' ? optionalString(source.fileName) : undefined,
      duration: kind === 'audio' || kind === 'video' ? optionalNumber(source.duration) : undefined,
    }),
  };
}

function readAtUsers(value: unknown): RobotAtUser[] {
  if (!Array.isArray(value)) return [];
  const users: RobotAtUser[] = [];
  for (const entry of value) {
    if (!isObject(entry)) continue;
    const dingtalkId = optionalString(entry.dingtalkId);
    if (dingtalkId === undefined) continue;
    users.push({ dingtalkId, ...defined({ staffId: optionalString(entry.staffId) }) });
  }
  return users;
}

function compact<T>(values: (T | undefined)[]): T[] {
  return values.filter((value): value is T => value !== undefined);
}
