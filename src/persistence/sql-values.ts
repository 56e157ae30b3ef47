/**
 * Conversions at the SQL boundary. The pg driver and PGlite agree on most types but not all: int8
 * comes back as a string from pg and as a number from PGlite, and pg turns a JS array parameter into
 * a PostgreSQL array literal. These helpers make both engines look the same to the repositories.
 */

/**
 * A jsonb parameter: always send JSON text and cast with `$n::jsonb` in the SQL. null/undefined
 * become SQL NULL (not the JSON literal null), so "absent" stays distinguishable in the table.
 */
export function jsonParam(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/**
 * Always a fresh Date of the caller's realm. `instanceof Date` is not enough: a driver loaded in
 * another realm (PGlite under Jest is loaded natively, outside the test sandbox) hands back Dates that
 * fail it, and String() of such a Date would drop the milliseconds.
 */
export function toDate(value: unknown): Date {
  if (Object.prototype.toString.call(value) === '[object Date]') return new Date((value as Date).getTime());
  return new Date(typeof value === 'number' ? value : String(value));
}

export function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

/** int8 / bigint / count(*) values; our counters stay far below 2^53. */
export function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

export function toStringOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** Error texts go into text columns; keep a runaway stack from bloating the row. */
export const MAX_ERROR_LENGTH = 4000;

export function errorText(error: unknown): string {
  const text = isErrorLike(error) ? `${error.name}: ${error.message}` : String(error);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}

/** Matches the canonical text form of a uuid; used to avoid casting arbitrary input to uuid. */
export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** An Error from any realm (a cross-realm Error fails `instanceof Error`). */
export function isErrorLike(value: unknown): value is Error {
  return typeof value === 'object' && value !== null && typeof (value as Error).message === 'string';
}
