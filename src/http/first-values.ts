/**
 * Headers or query keys as single strings. A repeated key is suspicious (a proxy or an attacker
 * appending a second value): the first value is taken, never an array or an object.
 */
export function firstValues(input: Record<string, unknown>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(input ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    out[key] = typeof first === 'string' ? first : undefined;
  }
  return out;
}
