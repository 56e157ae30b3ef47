import { ERROR_CATALOGUE, type ErrorCode } from './error-catalogue';

export { adminMessage, ERROR_CATALOGUE, errorSpec, isErrorCode, isPermanentError, retriesInCall, type ErrorCode, type ErrorSpec, type RetryLayer } from './error-catalogue';

/**
 * One error type for everything the plugin rejects or fails at. `code` is stable (tests, logs and
 * admins key on it); `message` tells the reader what to do next. `httpStatus` is what an HTTP edge
 * answers when the error reaches it. Never put a secret or a message body into `message` or `details`.
 */
export class DingTalkError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly details?: Record<string, unknown>;

  /** `code` must be in the error catalogue; `httpStatus` defaults to the catalogue's status. */
  constructor(code: ErrorCode, message: string, httpStatus: number = ERROR_CATALOGUE[code].status, details?: Record<string, unknown>) {
    super(message);
    this.name = 'DingTalkError';
    this.code = code;
    this.httpStatus = httpStatus;
    this.details = details;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export function isDingTalkError(error: unknown): error is DingTalkError {
  return error instanceof DingTalkError;
}
