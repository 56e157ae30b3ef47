import { DingTalkError, type ErrorCode } from '../kernel/errors';

/**
 * What went wrong below a request that is not one of our coded errors, in words safe for a log
 * line (error name and SQLSTATE only: a driver's message may quote the data) and as the answer:
 * the database being away is 503 (the edge spools first where it can); data the database refused is the
 * caller's bad input, 400; anything else is our fault, 500. Every 5xx gets its cause logged.
 */
export interface FailureCause {
  status: number;
  code: string;
  cause: string;
}

/** SQLSTATE classes (or codes) that mean "the database cannot serve right now". */
const UNAVAILABLE_STATES = /^(08|53|57|58|XX|42P01)/;
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

export function failureCause(error: unknown, unavailable: { code: ErrorCode; message: string }): DingTalkError & { cause: string } {
  if (error instanceof DingTalkError) return Object.assign(error, { cause: error.code });
  const state = sqlStateOf(error);
  const name = error instanceof Error ? error.name : typeof error;
  const cause = `${name}${state ? `/${state}` : ''}`;
  if ((state && UNAVAILABLE_STATES.test(state)) || (state && UNAVAILABLE_ERRNOS.has(state)) || /pool|connect|terminat/i.test(name)) {
    return Object.assign(new DingTalkError(unavailable.code, unavailable.message, 503), { cause });
  }
  if (state && /^(22|23)/.test(state)) {
    return Object.assign(new DingTalkError('dingtalk_payload_invalid', 'The request holds data that cannot be stored.', 400), { cause });
  }
  return Object.assign(new DingTalkError('dingtalk_internal_error', 'Internal error in the DingTalk plugin; see the server log.', 500), { cause });
}

function sqlStateOf(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const direct = (error as { code?: unknown }).code;
  if (typeof direct === 'string') return direct.slice(0, 16);
  const driver = (error as { driverError?: { code?: unknown } }).driverError?.code;
  return typeof driver === 'string' ? driver.slice(0, 16) : undefined;
}
