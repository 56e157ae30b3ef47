import type { SimApp } from '../types';
import type { AppRegistry } from '../app-registry';
import { newError } from '../error-bodies';
import type { SimResponse } from '../types';

/** Checks shared by the robot and card routes, answering with DingTalk's 400 codes (fact sheet §4). */

export const MSG_KEYS = new Set([
  'sampleText',
  'sampleMarkdown',
  'sampleImageMsg',
  'sampleLink',
  'sampleActionCard',
  'sampleActionCard2',
  'sampleActionCard3',
  'sampleActionCard4',
  'sampleActionCard5',
  'sampleActionCard6',
  'sampleAudio',
  'sampleFile',
  'sampleVideo',
]);

export const MSG_PARAM_MAX_BYTES = 15000;
export const BATCH_MAX = 20;

export type Checked<T> = { ok: true; value: T } | { ok: false; error: SimResponse };

export function bad(code: string, message: string): { ok: false; error: SimResponse } {
  return { ok: false, error: newError(400, code, message) };
}

export function asObject(body: unknown): Record<string, unknown> {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** robotCode must exist and belong to the calling app. */
export function checkRobotCode(apps: AppRegistry, caller: SimApp | undefined, robotCode: unknown): Checked<string> {
  if (typeof robotCode !== 'string' || robotCode === '') return bad('invalidParameter.robotCode.empty', 'robotCode不能为空');
  const owner = apps.byRobotCode(robotCode);
  if (!owner) return bad('invalidParameter.robotCode.notExsit', 'robotCode不存在');
  if (caller && owner.clientId !== caller.clientId) return bad('invalidParameter.robotCode.auth', 'robotCode无权限');
  return { ok: true, value: robotCode };
}

export function checkMsgKey(msgKey: unknown): Checked<string> {
  if (typeof msgKey !== 'string' || !MSG_KEYS.has(msgKey)) return bad('invalidParameter.msgKey.invalid', 'msgKey无效');
  return { ok: true, value: msgKey };
}

/** msgParam must be a string holding a JSON object, at most 15000 bytes. */
export function checkMsgParam(msgParam: unknown): Checked<Record<string, unknown>> {
  if (typeof msgParam !== 'string') return bad('invalidParameter.msgParam.invalid', 'msgParam必须是json格式');
  if (Buffer.byteLength(msgParam, 'utf8') > MSG_PARAM_MAX_BYTES) return bad('invalidParameter.msgParam.tooLong', 'msgParam长度超过限制');
  try {
    const parsed = JSON.parse(msgParam) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return { ok: true, value: parsed as Record<string, unknown> };
  } catch {
    // fall through
  }
  return bad('invalidParameter.msgParam.invalid', 'msgParam必须是json格式');
}

/** A non-empty list of strings of at most `max` entries. */
export function checkList(value: unknown, field: string, max = BATCH_MAX): Checked<string[]> {
  if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string' || v === '')) {
    return bad(`invalidParameter.${field}.empty`, `${field}不能为空`);
  }
  if (value.length > max) return bad(`invalidParameter.${field}.overMax`, `${field}数量超过限制(${max})`);
  return { ok: true, value: value as string[] };
}

/** cardParamMap values must be strings (fact sheet §5a). */
export function checkCardParamMap(cardData: unknown, field = 'cardData'): Checked<Record<string, string> | undefined> {
  if (cardData === undefined) return { ok: true, value: undefined };
  const map = asObject(cardData).cardParamMap;
  if (map === undefined) return { ok: true, value: undefined };
  if (!map || typeof map !== 'object' || Array.isArray(map)) return bad(`invalidParameter.${field}.cardParamMap`, 'cardParamMap必须是Map<String,String>');
  for (const [key, v] of Object.entries(map)) {
    if (typeof v !== 'string') return bad(`invalidParameter.${field}.cardParamMap`, `cardParamMap的value必须是字符串: ${key}`);
  }
  return { ok: true, value: map as Record<string, string> };
}
