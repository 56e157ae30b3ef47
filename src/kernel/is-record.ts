/** A plain object (not null, not an array): the one guard for reading untyped JSON-ish values. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
