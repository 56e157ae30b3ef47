import type { ErrorCode } from '../kernel/errors';

/**
 * The host's body parser (body-parser via Nest) fails before any route runs: a client that closes the
 * connection mid-body, a body over the host's limit, broken JSON, an unknown charset. Its errors carry
 * a `type`; Nest's fallback handler knows only SyntaxError and logs everything else as an unhandled
 * exception with a stack trace and answers 500. This maps them to our codes instead.
 */
export interface BodyFailure {
  status: number;
  code: ErrorCode;
  message: string;
  /** The caller is gone (nothing to answer); the line is all that is left of the request. */
  aborted: boolean;
}

interface ParserError {
  type?: unknown;
  code?: unknown;
  status?: unknown;
  received?: unknown;
  expected?: unknown;
}

export function bodyFailureOf(error: unknown): BodyFailure | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const { type, code, status } = error as ParserError;
  if (type === 'request.aborted' || code === 'ECONNABORTED' || code === 'ECONNRESET') {
    return { status: 400, code: 'dingtalk_request_aborted', message: 'The connection closed before the request body arrived.', aborted: true };
  }
  if (type === 'entity.too.large') return { status: 413, code: 'dingtalk_body_too_large', message: 'The request body is too large.', aborted: false };
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return { status: 415, code: 'dingtalk_media_type_unsupported', message: 'The request body encoding or charset is not supported.', aborted: false };
  }
  if (typeof type === 'string' && (error instanceof SyntaxError || (typeof status === 'number' && status >= 400 && status < 500))) {
    return { status: 400, code: 'dingtalk_request_invalid', message: 'The request body could not be read.', aborted: false };
  }
  return undefined;
}

/** `received 2068 of 4096 bytes`, from the parser's counters when it gives them. */
export function bytesNote(error: unknown): string {
  const { received, expected } = (error ?? {}) as ParserError;
  if (typeof received !== 'number') return '';
  return typeof expected === 'number' ? ` received=${received}/${expected}B` : ` received=${received}B`;
}
