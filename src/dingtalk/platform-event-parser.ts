import { createHash } from 'node:crypto';
import type { PlatformEvent } from '../kernel/inbound-event';
import { defined, firstString, isObject, type JsonObject, optionalString, payloadInvalid, stringifyJson, toObject } from './payload-reader';

// `check_url` for internal apps; third-party suites see `check_create_suite_url`, `check_update_suite_url`, ….
const VERIFICATION_PREFIX = 'check_';

/**
 * Decrypted HTTP event plaintext → PlatformEvent. HTTP push uses PascalCase keys (`EventType`,
 * `CorpId`), except a few fields DingTalk spells camelCase (`eventId` in `robot_msg_recall`).
 * Throws only `dingtalk_payload_invalid`.
 */
export function parseEventPlaintext(plaintext: string): PlatformEvent {
  if (typeof plaintext !== 'string') throw payloadInvalid('event plaintext is not a string');
  const data = toObject(plaintext, 'event plaintext');
  const eventType = firstString(data, 'EventType', 'eventType');
  if (eventType === undefined) throw payloadInvalid('event has no "EventType"', { field: 'EventType' });
  if (eventType.startsWith(VERIFICATION_PREFIX)) return { kind: 'check_url', eventType, data };

  return {
    kind: 'platform_event',
    eventType,
    eventId: firstString(data, 'eventId', 'EventId') ?? sha1(plaintext),
    ...defined({ corpId: firstString(data, 'CorpId', 'corpId') }),
    data,
  };
}

/**
 * Stream EVENT frame → PlatformEvent. The type, id and corp travel in the frame headers
 * (`eventType`, `eventId`, `eventCorpId`); `data` is a JSON string with camelCase keys.
 */
export function parseStreamEvent(headers: unknown, data: unknown): PlatformEvent {
  if (!isObject(headers)) throw payloadInvalid('stream event headers are not an object');
  const payload = readStreamData(data);
  const eventType = optionalString(headers.eventType) ?? firstString(payload, 'eventType', 'EventType');
  if (eventType === undefined) throw payloadInvalid('stream event has no "eventType" header', { field: 'eventType' });
  if (eventType.startsWith(VERIFICATION_PREFIX)) return { kind: 'check_url', eventType, data: payload };

  const dataText = typeof data === 'string' ? data : stringifyJson(payload, 'stream event data');
  return {
    kind: 'platform_event',
    eventType,
    eventId: optionalString(headers.eventId) ?? firstString(payload, 'eventId', 'EventId') ?? sha1(dataText),
    ...defined({ corpId: optionalString(headers.eventCorpId) ?? firstString(payload, 'corpId', 'CorpId') }),
    data: payload,
  };
}

function readStreamData(data: unknown): JsonObject {
  if (data === undefined || data === null || data === '') return {};
  return toObject(data, 'stream event data');
}

function sha1(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}
