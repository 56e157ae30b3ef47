import { messageInvalid } from './message-validation';

/** Interactive-card data: DingTalk accepts only string values in a `cardParamMap`. */

export type CardParamMap = Record<string, string>;

/**
 * Every value becomes a string the way DingTalk's card docs ask: numbers and booleans as "1" /
 * "true", objects and arrays as JSON, null as "". Undefined members are left out, so a partial
 * update (`updateCardDataByKey`) does not blank fields it did not mean to touch.
 */
export function toCardParamMap(values: Record<string, unknown>): CardParamMap {
  const map: CardParamMap = {};
  for (const [key, value] of Object.entries(values ?? {})) {
    if (value === undefined) continue;
    map[key] = toCardString(key, value);
  }
  return map;
}

/** `{ cardParamMap }`, the shape of `cardData` and of each `privateData` entry. */
export function toCardData(values: Record<string, unknown>): { cardParamMap: CardParamMap } {
  return { cardParamMap: toCardParamMap(values) };
}

function toCardString(key: string, value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'object':
      if (value === null) return '';
      if (value instanceof Date) return toIsoDate(key, value);
      return toJson(key, value);
    default:
      throw messageInvalid('card_value', `Card field "${key}" holds a ${typeof value}, which cannot be sent to DingTalk.`, {
        field: key,
      });
  }
}

function toJson(key: string, value: object): string {
  try {
    return JSON.stringify(value);
  } catch {
    throw messageInvalid('card_value', `Card field "${key}" cannot be serialised as JSON.`, { field: key });
  }
}

function toIsoDate(key: string, value: Date): string {
  if (Number.isNaN(value.getTime())) {
    throw messageInvalid('card_value', `Card field "${key}" holds an invalid date.`, { field: key });
  }
  return value.toISOString();
}
