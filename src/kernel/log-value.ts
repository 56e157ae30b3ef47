import { createHash } from 'node:crypto';

/**
 * A request-derived value made safe for one log line: control characters (a `%0A` in a path would
 * forge a line) and quotes are escaped, and the result is cut to 128 characters.
 */
export function logValue(value: unknown, max = 128): string {
  const text = typeof value === 'string' ? value : String(value);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must not reach a line
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029"\\]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}

/**
 * A short stand-in for a message or event id in logs at info and above: msgIds identify a person's
 * message, so only debug logs carry them. The same id always gives the same reference, so lines
 * about one event can still be followed.
 */
export function logRef(id: string): string {
  return `#${createHash('sha256').update(id).digest('hex').slice(0, 10)}`;
}
