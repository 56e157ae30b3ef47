import { DingTalkError } from '../kernel/errors';

/**
 * DingTalk answers errors in two families (see the platform fact sheet §6b):
 *  - new v1.0 APIs: HTTP 4xx/5xx with `{code, message, requestid, accessdenieddetail?}`;
 *  - old oapi/topapi APIs: usually HTTP 200 with `{errcode≠0, errmsg, sub_code?, sub_msg?, request_id}`.
 * Both are normalised here into one `DingTalkApiError`, so callers never look at raw bodies.
 *
 * Field naming (deliberate): `code` is OUR stable code, like every other `DingTalkError`, so logs,
 * tests and admins key on one vocabulary. DingTalk's own code ('Forbidden.AccessDenied.…', '88',
 * 'invalidClientIdOrSecret', …) is `platformCode`; its sub code (old family) is `subCode`.
 * `httpStatus` is the HTTP status DingTalk answered with; when no answer arrived it is 504 for a
 * timeout and 503 for a network failure, so it is always a usable status for an HTTP edge.
 */

export type DingTalkApiErrorCode =
  /** Rate limited (per app per API, global API QPS, IP ban, busy). Retried; surfaces when retries run out. */
  | 'dingtalk_api_throttled'
  /** The app lacks a permission scope; `requiredScopes` names it. Never retried. */
  | 'dingtalk_permission_missing'
  /** ClientID/ClientSecret rejected when asking for a token. Never retried. */
  | 'dingtalk_credentials_invalid'
  /** The access token was rejected even after one refresh. */
  | 'dingtalk_token_invalid'
  /** The server's egress IP is not in the app's whitelist. */
  | 'dingtalk_ip_not_allowed'
  /** Any other rejection (validation, unknown resource, …). Never retried. */
  | 'dingtalk_api_error'
  /** 5xx or a network failure. Retried. */
  | 'dingtalk_api_unavailable'
  /** No answer in time (client timeout, HTTP 504, old-family timeout codes). Retried. */
  | 'dingtalk_timeout';

export interface DingTalkApiErrorInit {
  code: DingTalkApiErrorCode;
  message: string;
  platformCode: string;
  platformMessage?: string;
  subCode?: string;
  httpStatus: number;
  requestId?: string;
  requiredScopes?: string[];
  retryable: boolean;
  /** The access token itself was rejected: the client drops it and retries once with a fresh one. */
  tokenRejected?: boolean;
  /** Server hint (Retry-After, IP-ban `wait`) in milliseconds. */
  retryAfterMs?: number;
  /** API path that failed (no host, no query: never carries a token). */
  path?: string;
  extra?: Record<string, unknown>;
}

export class DingTalkApiError extends DingTalkError {
  declare readonly code: DingTalkApiErrorCode;
  readonly platformCode: string;
  readonly platformMessage?: string;
  readonly subCode?: string;
  readonly requestId?: string;
  readonly requiredScopes: string[];
  readonly retryable: boolean;
  readonly tokenRejected: boolean;
  readonly retryAfterMs?: number;
  readonly path?: string;

  constructor(init: DingTalkApiErrorInit) {
    const requiredScopes = init.requiredScopes ?? [];
    super(init.code, init.message, init.httpStatus, {
      platformCode: init.platformCode,
      ...(init.subCode ? { subCode: init.subCode } : {}),
      httpStatus: init.httpStatus,
      ...(init.requestId ? { requestId: init.requestId } : {}),
      ...(requiredScopes.length ? { requiredScopes } : {}),
      ...(init.path ? { path: init.path } : {}),
      retryable: init.retryable,
      ...(init.extra ?? {}),
    });
    this.name = 'DingTalkApiError';
    this.platformCode = init.platformCode;
    this.platformMessage = init.platformMessage;
    this.subCode = init.subCode;
    this.requestId = init.requestId;
    this.requiredScopes = requiredScopes;
    this.retryable = init.retryable;
    this.tokenRejected = init.tokenRejected ?? false;
    this.retryAfterMs = init.retryAfterMs;
    this.path = init.path;
  }

  /** The init this error was built from, for copies with extra details (e.g. a partial batch). */
  toInit(): DingTalkApiErrorInit {
    return {
      code: this.code,
      message: this.message,
      platformCode: this.platformCode,
      platformMessage: this.platformMessage,
      subCode: this.subCode,
      httpStatus: this.httpStatus,
      requestId: this.requestId,
      requiredScopes: this.requiredScopes,
      retryable: this.retryable,
      tokenRejected: this.tokenRejected,
      retryAfterMs: this.retryAfterMs,
      path: this.path,
    };
  }
}

export function isDingTalkApiError(error: unknown): error is DingTalkApiError {
  return error instanceof DingTalkApiError;
}

/** A copy of `error` whose `details` also carry `extra` (e.g. which batches were already sent). */
export function withErrorDetails(error: DingTalkApiError, extra: Record<string, unknown>): DingTalkApiError {
  return new DingTalkApiError({ ...error.toInit(), extra });
}

const SCOPE_LIST_PATTERNS = [
  /requiredScopes=\[([^\]]*)\]/g, // `{requiredScopes=[qyapi_get_department_list]}`
  /所需的权限[:：]\s*\[([^\]]*)\]/g, // `应用尚未开通所需的权限：[qyapi_xxx]`
];
const SCOPE_ANCHOR_PATTERNS = [/#([A-Za-z][\w.]*)/g, /%23([A-Za-z][\w.]*)/gi]; // apply URL fragment
const SCOPE_NAME = /^[A-Za-z][\w.]*$/;

/** Scope names mentioned in an old-family error text (the only place DingTalk names them there). */
export function parseRequiredScopes(...texts: Array<string | undefined>): string[] {
  const found = new Set<string>();
  for (const text of texts) {
    if (!text) continue;
    for (const pattern of SCOPE_LIST_PATTERNS) {
      for (const match of text.matchAll(pattern)) {
        for (const part of match[1].split(',')) {
          const scope = part.trim();
          if (SCOPE_NAME.test(scope)) found.add(scope);
        }
      }
    }
    for (const pattern of SCOPE_ANCHOR_PATTERNS) {
      for (const match of text.matchAll(pattern)) found.add(match[1]);
    }
  }
  return [...found];
}

/** What the admin must do, in the message itself (it is what the Test button shows). */
export function permissionMessage(path: string | undefined, scopes: string[], platformMessage?: string): string {
  const target = path ? ` for ${path}` : '';
  if (scopes.length === 0) {
    return `DingTalk denied the call${target}: the app lacks a required permission (${platformMessage ?? 'no detail'}). Grant it in the DingTalk developer console → 权限管理 (Permission management) of this app.`;
  }
  const list = scopes.join(', ');
  return `DingTalk denied the call${target}: the app is missing the permission ${list}. Grant ${list} in the DingTalk developer console → 权限管理 (Permission management) of this app, then try again.`;
}
