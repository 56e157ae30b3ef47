import { DingTalkError } from '../errors';

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

/** An object, or a JSON string holding one (Stream `data`, card `content`). */
export function toObject(raw: unknown, what: string): JsonObject {
  const value = typeof raw === 'string' ? parseJson(raw, what) : raw;
  if (!isObject(value)) throw payloadInvalid(`${what} is not a JSON object`);
  return value;
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw payloadInvalid(`${what} is not valid JSON`);
  }
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
