import { isDingTalkError } from '../kernel/errors';

/** Stable codes for Stream connection failures (see `DingTalkError`). */
export const STREAM_ERROR = {
  /** The gateway refused the open-connection request (4xx): wrong AppKey/AppSecret, app disabled, bad input. */
  rejected: 'dingtalk_stream_gateway_rejected',
  /** The gateway answered 5xx or 429. */
  unavailable: 'dingtalk_stream_gateway_unavailable',
  /** No HTTP answer at all (DNS, TCP, TLS, timeout). */
  unreachable: 'dingtalk_stream_gateway_unreachable',
  /** 2xx without `endpoint` and `ticket`. */
  badResponse: 'dingtalk_stream_gateway_bad_response',
} as const;

/**
 * A credential/config rejection: retrying will not fix it, so the status says `failed` (we still retry at
 * backoff pace, in case DingTalk's side was the problem, e.g. Stream mode switched on a minute later).
 */
export function isCredentialRejection(error: unknown): boolean {
  return isDingTalkError(error) && error.code === STREAM_ERROR.rejected;
}

/**
 * One-line description of a connect failure for `status().lastError` and logs. Scrubs the secret and
 * any ticket defensively: transport errors are not ours and could one day echo a URL or request body.
 */
export function describeStreamError(error: unknown, secrets: string[]): string {
  let text: string;
  if (isDingTalkError(error)) text = `${error.code}: ${error.message}`;
  else if (error instanceof Error) text = `${error.name}: ${error.message}`;
  else text = String(error);
  for (const secret of secrets) {
    if (secret) text = text.split(secret).join('***');
  }
  text = text.replace(/ticket=[^&\s"']+/gi, 'ticket=***');
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}
