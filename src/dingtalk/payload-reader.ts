import { DingTalkError } from '../kernel/errors';

/**
 * Small readers for untrusted JSON. Optional fields of the wrong type are treated as absent
 * (DingTalk's docs and samples disagree on types), required ones raise `dingtalk_payload_invalid`.
 */

export type JsonObject = Record<string, unknown>;

export function payloadInvalid(what: string, details?: Record<string, unknown>): DingTalkError {
  return new DingTalkError('dingtalk_payload_invalid', `Unrecognised DingTalk payload: ${what}.`, 400, details);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object, or a JSON string holding one (Stream `data`, card `content`); its text made storable. */
export function toObject(raw: unknown, what: string): JsonObject {
  const value = typeof raw === 'string' ? parseJson(raw, what) : cleanJson(raw, what);
  if (!isObject(value)) throw payloadInvalid(`${what} is not a JSON object`);
  return value;
}

export function parseJson(text: string, what: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw payloadInvalid(`${what} is not valid JSON`);
  }
  return cleanJson(value, what);
}

/** Deeper than any DingTalk payload; bounds the walk below (and the stack it uses). */
export const MAX_PAYLOAD_DEPTH = 32;

/**
 * Text a person really sent is kept, but made storable: PostgreSQL text and jsonb refuse NUL and
 * unpaired surrogates, so NUL is dropped and a lone surrogate becomes U+FFFD. Returns a cleaned
 * copy (keys too); nesting deeper than MAX_PAYLOAD_DEPTH is a bad payload, not a crash.
 */
export function cleanJson(value: unknown, what = 'payload', depth = 0): unknown {
  if (typeof value === 'string') return cleanText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_PAYLOAD_DEPTH) throw payloadInvalid(`${what} is nested too deeply`);
  if (Array.isArray(value)) return value.map((item) => cleanJson(item, what, depth + 1));
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) out[cleanText(key)] = cleanJson(item, what, depth + 1);
  return out;
}

export function cleanText(text: string): string {
  // eslint-disable-next-line no-control-regex
  const withoutNul = text.includes('\u0000') ? text.replace(/\u0000/g, '') : text;
  return withoutNul.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/**
 * The size of a parsed body as JSON text, in UTF-8 bytes, without serialising it (a deep or huge
 * body must not throw here). Stops counting once past `limit`. Undefined when nested too deeply.
 */
export function jsonByteSize(value: unknown, limit: number): number | undefined {
  let total = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0 && total <= limit) {
    const { value: item, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof item === 'string') total += Buffer.byteLength(item, 'utf8') + 2;
    else if (item === null || typeof item !== 'object') total += String(item).length;
    else {
      if (depth >= MAX_PAYLOAD_DEPTH) return undefined;
      const entries = Array.isArray(item) ? item.map((v) => ['', v] as const) : Object.entries(item);
      total += 2 + Math.max(0, entries.length - 1);
      for (const [key, child] of entries) {
        if (key) total += Buffer.byteLength(key, 'utf8') + 3;
        stack.push({ value: child, depth: depth + 1 });
      }
    }
  }
  return total;
}

/** A non-empty string, or undefined. */
export function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Ids and keys DingTalk always fills; a blank one is a forged or broken payload, never a real id. */
export function requiredString(source: JsonObject, field: string, what: string): string {
  const value = optionalString(source[field]);
  if (value === undefined || value.trim() === '') throw payloadInvalid(`${what} has no "${field}"`, { field });
  return value;
}

/** A finite number, also from a numeric string (DingTalk's tables say String, its samples send numbers). */
export function optionalNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

export function firstString(source: JsonObject, ...fields: string[]): string | undefined {
  for (const field of fields) {
    const value = optionalString(source[field]);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** Drops undefined members so events compare and serialise cleanly. */
export function defined<T extends Record<string, unknown>>(values: T): Partial<T> {
  const result: Partial<T> = {};
  for (const key of Object.keys(values) as (keyof T)[]) {
    if (values[key] !== undefined) result[key] = values[key];
  }
  return result;
}

/** JSON text of a value handed over as an object; circular or BigInt values are a bad payload, not a crash. */
export function stringifyJson(value: unknown, what: string): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    throw payloadInvalid(`${what} cannot be serialised as JSON`);
  }
}
