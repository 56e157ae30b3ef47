import { randomBytes } from 'node:crypto';
import type { SimResponse } from './types';

/** DingTalk's two error shapes (fact sheet §6b), so every route answers like the real thing. */

export function requestId(): string {
  return randomBytes(8).toString('hex');
}

/** New family: HTTP status ≠ 2xx with `{code, message, requestid}`. */
export function newError(status: number, code: string, message: string, extra: Record<string, unknown> = {}): SimResponse {
  return { status, body: { code, message, requestid: requestId(), ...extra } };
}

/** Old family: HTTP 200 with `{errcode, errmsg, request_id}`. */
export function oldError(errcode: number, errmsg: string, extra: Record<string, unknown> = {}): SimResponse {
  return { status: 200, body: { errcode, errmsg, ...extra, request_id: requestId() } };
}

export function oldOk(fields: Record<string, unknown> = {}): SimResponse {
  return { status: 200, body: { errcode: 0, errmsg: 'ok', ...fields, request_id: requestId() } };
}

export function ok(body: unknown): SimResponse {
  return { status: 200, body };
}

export function throttled(style: 'new' | 'old'): SimResponse {
  return style === 'new'
    ? newError(403, 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', '应用调用该接口的请求数超过限流阈值（每秒），请降低调用频率')
    : oldError(90018, '当前企业对该API调用频率超过限制，请降低调用频率');
}

export function serverError(style: 'new' | 'old', status = 500): SimResponse {
  const res = style === 'new' ? newError(status, 'system.error', '系统错误，请稍后重试') : oldError(-1, '系统繁忙');
  return { ...res, status };
}

/** Missing permission, worded exactly as DingTalk words it in each family. */
export function missingScope(style: 'new' | 'old', scope: string, clientId: string): SimResponse {
  if (style === 'new') {
    return newError(403, 'Forbidden.AccessDenied.AccessTokenPermissionDenied', '没有调用该接口的权限，接口权限申请参考：https://open.dingtalk.com/document/orgapp-server/add-api-permission', {
      accessdenieddetail: { requiredScopes: [scope] },
    });
  }
  const submsg = `应用尚未开通所需的权限：[${scope}]，点击链接申请并开通即可：https://open-dev.dingtalk.com/appscope/apply?content=${encodeURIComponent(clientId)}%23${scope}`;
  return oldError(88, `ding talk error[subcode=60011,submsg=${submsg}, {requiredScopes=[${scope}]}]`, { sub_code: '60011', sub_msg: submsg });
}

/** Token problems: missing/unknown/expired, in the family's words. */
export function badToken(style: 'new' | 'old', reason: 'missing' | 'unknown' | 'expired'): SimResponse {
  if (style === 'new') {
    if (reason === 'expired') return newError(401, 'InvalidAuthentication', 'access_token已过期');
    return newError(reason === 'missing' ? 401 : 400, reason === 'missing' ? 'Unauthorized' : 'InvalidAuthentication', reason === 'missing' ? '缺少access_token' : '不合法的access_token');
  }
  if (reason === 'missing') return oldError(41001, '缺少参数access_token');
  if (reason === 'expired') return oldError(42001, 'access_token超时');
  return oldError(40014, '不合法的access_token');
}
