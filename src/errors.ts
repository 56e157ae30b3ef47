/**
 * One error type for everything the plugin rejects or fails at. `code` is stable (tests, logs and
 * admins key on it); `message` tells the reader what to do next. `httpStatus` is what an HTTP edge
 * answers when the error reaches it. Never put a secret or a message body into `message` or `details`.
 */
export class DingTalkError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, httpStatus = 400, details?: Record<string, unknown>) {
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
