/**
 * A request-derived value made safe for one log line: control characters (a `%0A` in a path would
 * forge a line) and quotes are escaped, and the result is cut to 128 characters.
 */
export function logValue(value: unknown, max = 128): string {
  const text = typeof value === 'string' ? value : String(value);
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029"\\]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}
