import { DingTalkApiError, parseRequiredScopes, permissionMessage } from './api-error';

/**
 * Turns one DingTalk HTTP answer (or the lack of one) into either "success" (null) or a
 * `DingTalkApiError` with our stable code and a retry decision. Pure: no I/O, no clock.
 */

export interface ResponseContext {
  /** API path (no host, no query), for messages. */
  path?: string;
  /** The call was the token request itself: a rejected secret is a credentials problem. */
  tokenRequest?: boolean;
  headers?: Record<string, unknown>;
}

// Throttling codes (fact sheet §6c). Matched exactly, or by the prefixes below.
const THROTTLE_CODES = new Set(['90018', '90002', '-1', 'send.too.fast', 'send.byToken.tooFast', 'system.busy', 'systemBusy', 'ServiceUnavailable.Busy']);
const THROTTLE_PREFIXES = ['Forbidden.AccessDenied.Qps', 'Forbidden.AccessDenied.Qpm'];
// Quotas that will not recover within a retry budget: throttled, but retrying is pointless.
const QUOTA_CODES = new Set(['90020', 'Forbidden.AccessDenied.ApiCountLimitForOrg', '20001']);
const TOKEN_CODES = new Set(['InvalidAuthentication', 'Unauthorized', 'InvalidAccessToken', '40014', '41001', '42001']);
const CREDENTIAL_CODES = new Set(['invalidClientIdOrSecret', 'invalid.client', 'unauthorized.client', '40089', '40096', '40001']);
const IP_CODES = new Set(['60020', 'Forbidden.AccessDenied.IpNotInWhiteList']);
const PERMISSION_CODES = new Set(['60011', 'Forbidden.AccessDenied.AccessTokenPermissionDenied', 'Forbidden.AccessDenied']);

interface Parsed {
  family: 'new' | 'old' | 'none';
  platformCode: string;
  platformMessage?: string;
  subCode?: string;
  requestId?: string;
  scopes: string[];
  retryAfterMs?: number;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function retryAfterHeader(headers?: Record<string, unknown>): number | undefined {
  const seconds = Number(str(headers?.['retry-after']));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/** Reads either family's error fields; `undefined` = the body says success. */
function parseBody(status: number, data: unknown, headers?: Record<string, unknown>): Parsed | undefined {
  const body = asRecord(data);
  const ok = status >= 200 && status < 300;
  const errcode = body ? str(body.errcode) : undefined;
  if (errcode !== undefined) {
    if (errcode === '0' && ok) return undefined;
    const subCode = str(body?.sub_code) ?? str(body?.subCode);
    const subMsg = str(body?.sub_msg) ?? str(body?.subMsg);
    const errmsg = str(body?.errmsg);
    return {
      family: 'old',
      platformCode: errcode,
      platformMessage: subMsg ?? errmsg,
      subCode,
      requestId: str(body?.request_id) ?? str(body?.requestId),
      scopes: parseRequiredScopes(errmsg, subMsg),
      retryAfterMs: retryAfterHeader(headers),
    };
  }
  // Per-IP ban (§6c) answers `{status:1111, wait:5, punish:'deny'}` without an errcode.
  if (body && str(body.punish) === 'deny') {
    const wait = Number(body.wait);
    return {
      family: 'none',
      platformCode: 'ip.punish.deny',
      platformMessage: 'DingTalk temporarily banned this server IP for calling too often',
      scopes: [],
      retryAfterMs: Number.isFinite(wait) && wait > 0 ? wait * 1000 : undefined,
    };
  }
  if (ok) return undefined;
  const detail = asRecord(body?.accessdenieddetail) ?? asRecord(body?.accessDeniedDetail);
  const listed = Array.isArray(detail?.requiredScopes) ? detail!.requiredScopes.filter((s): s is string => typeof s === 'string') : [];
  const message = str(body?.message);
  return {
    family: body && str(body.code) ? 'new' : 'none',
    platformCode: str(body?.code) ?? `HTTP_${status}`,
    platformMessage: message,
    requestId: str(body?.requestid) ?? str(body?.requestId) ?? str(headers?.['x-acs-request-id']),
    scopes: [...new Set([...listed, ...parseRequiredScopes(message)])],
    retryAfterMs: retryAfterHeader(headers),
  };
}

function isThrottle(p: Parsed, status: number): boolean {
  if (status === 429 || THROTTLE_CODES.has(p.platformCode) || p.platformCode === 'ip.punish.deny') return true;
  return THROTTLE_PREFIXES.some((prefix) => p.platformCode.startsWith(prefix));
}

function isTimeoutCode(p: Parsed, status: number): boolean {
  if (status === 504) return true;
  if (p.platformCode === '15' && p.subCode === 'isp.top-remote-connection-timeout') return true;
  // errcode 88 with an empty sub code is how the old gateway reports an upstream timeout (§6b).
  return p.platformCode === '88' && !p.subCode && p.scopes.length === 0;
}

function isTokenProblem(p: Parsed, status: number, ctx: ResponseContext): boolean {
  if (ctx.tokenRequest) return false;
  if (status === 401 || TOKEN_CODES.has(p.platformCode)) return true;
  // 40001 means "wrong secret or invalid token"; on an API call it can only be the token.
  return p.platformCode === '40001' && /token/i.test(p.platformMessage ?? '');
}

function describe(p: Parsed, status: number, path?: string): string {
  const code = p.subCode ? `${p.platformCode}/${p.subCode}` : p.platformCode;
  const where = path ? ` ${path}` : '';
  const request = p.requestId ? `, requestId ${p.requestId}` : '';
  return `DingTalk API${where} failed (HTTP ${status}, ${code}): ${p.platformMessage ?? 'no message'}${request}`;
}

/** null when the answer is a success; otherwise the normalised error. */
export function normalizeResponse(status: number, data: unknown, ctx: ResponseContext = {}): DingTalkApiError | null {
  const p = parseBody(status, data, ctx.headers);
  if (!p) return null;
  const base = {
    platformCode: p.platformCode,
    platformMessage: p.platformMessage,
    subCode: p.subCode,
    httpStatus: status,
    requestId: p.requestId,
    requiredScopes: p.scopes,
    retryAfterMs: p.retryAfterMs,
    path: ctx.path,
  };
  const codes = [p.platformCode, p.subCode ?? ''];
  if (QUOTA_CODES.has(p.platformCode)) {
    return new DingTalkApiError({ ...base, code: 'dingtalk_api_throttled', retryable: false, message: `${describe(p, status, ctx.path)}. The organisation's DingTalk API quota is used up.` });
  }
  if (isThrottle(p, status)) {
    return new DingTalkApiError({ ...base, code: 'dingtalk_api_throttled', retryable: true, message: describe(p, status, ctx.path) });
  }
  if (ctx.tokenRequest && (CREDENTIAL_CODES.has(p.platformCode) || status === 400 || status === 401)) {
    return new DingTalkApiError({
      ...base,
      code: 'dingtalk_credentials_invalid',
      retryable: false,
      message: `DingTalk rejected the ClientID/ClientSecret (${p.platformCode}). Check the AppKey and AppSecret of the app in the DingTalk developer console.`,
    });
  }
  if (codes.some((c) => IP_CODES.has(c))) {
    return new DingTalkApiError({ ...base, code: 'dingtalk_ip_not_allowed', retryable: false, message: `${describe(p, status, ctx.path)}. Add this server's egress IP to the app's IP whitelist in the DingTalk developer console.` });
  }
  if (p.scopes.length > 0 || codes.some((c) => PERMISSION_CODES.has(c)) || /PermissionDenied/.test(p.platformCode)) {
    return new DingTalkApiError({ ...base, code: 'dingtalk_permission_missing', retryable: false, message: permissionMessage(ctx.path, p.scopes, p.platformMessage) });
  }
  if (isTokenProblem(p, status, ctx)) {
    return new DingTalkApiError({ ...base, code: 'dingtalk_token_invalid', retryable: false, tokenRejected: true, message: describe(p, status, ctx.path) });
  }
  if (isTimeoutCode(p, status)) {
    return new DingTalkApiError({ ...base, code: 'dingtalk_timeout', retryable: true, message: describe(p, status, ctx.path) });
  }
  if (status >= 500) {
    return new DingTalkApiError({ ...base, code: 'dingtalk_api_unavailable', retryable: true, message: describe(p, status, ctx.path) });
  }
  return new DingTalkApiError({ ...base, code: 'dingtalk_api_error', retryable: false, message: describe(p, status, ctx.path) });
}

const TIMEOUT_ERRNOS = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);

/** An error thrown before any answer arrived (axios/network). Always retryable. */
export function normalizeTransportError(error: unknown, ctx: ResponseContext = {}): DingTalkApiError {
  const e = (error ?? {}) as { code?: unknown; message?: unknown };
  const errno = typeof e.code === 'string' ? e.code : 'NETWORK_ERROR';
  const reason = typeof e.message === 'string' ? e.message : String(error);
  const where = ctx.path ? ` ${ctx.path}` : '';
  if (TIMEOUT_ERRNOS.has(errno) || /timeout/i.test(reason)) {
    return new DingTalkApiError({
      code: 'dingtalk_timeout',
      message: `DingTalk API${where} did not answer in time (${errno})`,
      platformCode: errno,
      httpStatus: 504,
      retryable: true,
      path: ctx.path,
    });
  }
  return new DingTalkApiError({
    code: 'dingtalk_api_unavailable',
    message: `DingTalk API${where} is unreachable (${errno}): ${reason}`,
    platformCode: errno,
    httpStatus: 503,
    retryable: true,
    path: ctx.path,
  });
}
