/**
 * Coded errors for talking to the Xpert host. Upstream failures answer 502/504 at our own HTTP edge:
 * echoing the host's 401 would look like the caller's own login failed (UIs log out on 401).
 */
import { DingTalkError } from '../kernel/errors';

const MAX_HOST_MESSAGE_CHARS = 500;

/** Extracts Nest's `{statusCode, message, error}` message (string or string[]) from a body. */
export function hostErrorMessage(body: string): string | undefined {
  const trimmed = body.trim();
  if (!trimmed) return undefined;
  let message: unknown = trimmed;
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as Record<string, unknown>;
      message = parsed.message ?? parsed.error ?? trimmed;
    } catch {
      message = trimmed;
    }
  }
  const text = Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : JSON.stringify(message);
  return text.length > MAX_HOST_MESSAGE_CHARS ? `${text.slice(0, MAX_HOST_MESSAGE_CHARS)}…` : text;
}

export function hostStatusError(status: number, body: string, operation: string): DingTalkError {
  const hostMessage = hostErrorMessage(body);
  const details = { status, operation, ...(hostMessage ? { hostMessage } : {}) };
  if (status === 401) {
    return new DingTalkError(
      'dingtalk_expert_auth_failed',
      'The Xpert host rejected the API key (401). Check the Xpert API key configured for DingTalk.',
      502,
      details,
    );
  }
  if (status === 403) {
    return new DingTalkError(
      'dingtalk_expert_auth_failed',
      'The Xpert API key may not run this expert (403). Check that the key belongs to the expert or its workspace.',
      502,
      details,
    );
  }
  return new DingTalkError(
    'dingtalk_expert_request_failed',
    `The Xpert host answered ${status} to ${operation}${hostMessage ? `: ${hostMessage}` : ''}.`,
    502,
    details,
  );
}

export function unreachableError(baseUrl: string, cause: unknown): DingTalkError {
  const code = causeCode(cause);
  return new DingTalkError(
    'dingtalk_expert_unreachable',
    `Cannot reach the Xpert host at ${baseUrl}${code ? ` (${code})` : ''}. Check the host URL and that it is running.`,
    502,
    code ? { cause: code } : undefined,
  );
}

export function timeoutError(kind: 'connect' | 'idle', ms: number): DingTalkError {
  return kind === 'connect'
    ? new DingTalkError('dingtalk_expert_timeout', `The Xpert host did not answer within ${ms} ms.`, 504, { timeoutMs: ms })
    : new DingTalkError('dingtalk_expert_idle_timeout', `The expert sent nothing for ${ms} ms.`, 504, { timeoutMs: ms });
}

export function abortedError(): DingTalkError {
  return new DingTalkError('dingtalk_expert_aborted', 'The expert run was cancelled.', 499);
}

/** Node's fetch hides the socket error in `cause`; its code (ECONNREFUSED…) is what an admin needs. */
function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
