import { DingTalkError } from '../kernel/errors';
import { isRecord } from './dingtalk-run-context';

/**
 * `{{path}}` templates in configured values (the recipient id), rendered against the agent state
 * at call time. Paths follow the host's prompt convention — top-level state keys such as
 * `{{human.input}}` or `{{myVariable}}` — and `{{state.x.y}}` is accepted as an alias of `{{x.y}}`.
 * Only configuration is rendered, never text the model wrote: a model must not be able to pull
 * state (or `env`) into a message by writing braces.
 */

export interface TemplateOptions {
  /** false: the text is used literally, braces and all. */
  enabled: boolean;
  /** true: a variable that is missing (or empty) is an error instead of ''. */
  strict: boolean;
}

const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const SEGMENT = /^[A-Za-z0-9_$-]+$/;

export function renderTemplate(text: string, state: unknown, options: TemplateOptions): string {
  if (!options.enabled || !text.includes('{{')) return text;
  const missing: string[] = [];
  const rendered = text.replace(VARIABLE, (_match, rawPath: string) => {
    const value = lookup(state, rawPath);
    if (value === undefined) {
      missing.push(rawPath);
      return '';
    }
    return value;
  });
  if (options.strict && missing.length > 0) {
    throw new DingTalkError(
      'notify_template_variable_missing',
      `The template variable${missing.length > 1 ? 's' : ''} ${missing.map((m) => `{{${m}}}`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set in the agent state, and strict templates are on. Set the variable before this step, or fix the recipient in the DingTalk notify middleware.`,
      400,
      { variables: missing },
    );
  }
  return rendered;
}

/** The value at `path` as text, or undefined when it is missing, null or empty. */
function lookup(state: unknown, rawPath: string): string | undefined {
  const segments = rawPath.split('.').map((s) => s.trim());
  if (segments.length === 0 || segments.some((s) => !SEGMENT.test(s))) return undefined;
  const path = segments[0] === 'state' && segments.length > 1 ? segments.slice(1) : segments;
  let current: unknown = state;
  for (const segment of path) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
    else if (isRecord(current) && Object.prototype.hasOwnProperty.call(current, segment)) current = current[segment];
    else return undefined;
  }
  return toText(current);
}

function toText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
