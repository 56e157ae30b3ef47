import { createHash } from 'node:crypto';
import type { CardActionEvent } from '../kernel/inbound-event';
import { defined, isObject, type JsonObject, optionalString, parseJson, payloadInvalid, requiredString, stringifyJson, toObject } from './payload-reader';

/**
 * Card button callback → CardActionEvent. Accepts the HTTP body or the Stream `data` of topic
 * `/v1.0/card/instances/callback`. `content` is a JSON *string* holding `cardPrivateData`.
 * Throws only `dingtalk_payload_invalid`.
 */
export function parseCardCallback(raw: unknown): CardActionEvent {
  const body = toObject(raw, 'card callback');
  const outTrackId = requiredString(body, 'outTrackId', 'card callback');
  const userId = requiredString(body, 'userId', 'card callback');
  const contentText = readContentText(body.content);
  const privateData = readPrivateData(contentText);

  return {
    kind: 'card_action',
    eventId: optionalString(body.eventId) ?? deriveEventId(outTrackId, userId, contentText),
    outTrackId,
    userId,
    ...defined({ corpId: optionalString(body.corpId) }),
    actionIds: readActionIds(privateData.actionIds),
    params: isObject(privateData.params) ? privateData.params : {},
    raw: body,
  };
}

/**
 * DingTalk sends no delivery id with card callbacks. The same press delivered twice carries the
 * same card, user and content, so hashing them makes redeliveries (and double clicks) collapse
 * into one inbox row; the hash also keeps the id short whatever the outTrackId length.
 */
function deriveEventId(outTrackId: string, userId: string, contentText: string): string {
  const digest = createHash('sha1').update(`${outTrackId}\n${userId}\n${contentText}`, 'utf8').digest('hex');
  return `card:${digest}`;
}

function readContentText(content: unknown): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (isObject(content)) return stringifyJson(content, 'card callback "content"');
  throw payloadInvalid('card callback "content" is neither a JSON string nor an object', { field: 'content' });
}

function readPrivateData(contentText: string): JsonObject {
  if (contentText.trim().length === 0) return {};
  const content = parseJson(contentText, 'card callback "content"');
  if (!isObject(content)) throw payloadInvalid('card callback "content" is not a JSON object', { field: 'content' });
  return isObject(content.cardPrivateData) ? content.cardPrivateData : {};
}

function readActionIds(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter((id): id is string => typeof id === 'string');
}
