import { z } from 'zod';
import { DingTalkError } from '../kernel/errors';
import type { DingTalkIntegrationOptions } from '../kernel/integration';
import { fromLegacyOptions } from './legacy-options';

const AES_KEY = /^[A-Za-z0-9]{43}$/;
// DingTalk's console accepts 3–32 letters and digits for the signing token.
const CALLBACK_TOKEN = /^[A-Za-z0-9]{3,32}$/;

const trimmed = (field: string) =>
  z.string({ required_error: `${field} is required`, invalid_type_error: `${field} must be text` }).trim();

export const integrationOptionsSchema = z
  .object({
    clientId: trimmed('clientId').min(1, 'clientId (AppKey) is required'),
    clientSecret: trimmed('clientSecret').min(1, 'clientSecret (AppSecret) is required'),
    robotCode: trimmed('robotCode').optional(),
    mode: z.enum(['stream', 'http'], { errorMap: () => ({ message: "mode must be 'stream' or 'http'" }) }).default('stream'),
    callbackToken: trimmed('callbackToken').optional(),
    callbackAesKey: trimmed('callbackAesKey').optional(),
    corpId: trimmed('corpId').optional(),
    cardCallbackSecret: trimmed('cardCallbackSecret').optional(),
    cardTemplateId: trimmed('cardTemplateId').optional(),
    xpertId: trimmed('xpertId').optional(),
    preferredLanguage: z.enum(['zh-Hans', 'en']).optional(),
    apiBaseUrl: trimmed('apiBaseUrl').url('apiBaseUrl must be an http(s) URL, e.g. https://api.dingtalk.com').optional(),
    oapiBaseUrl: trimmed('oapiBaseUrl').url('oapiBaseUrl must be an http(s) URL, e.g. https://oapi.dingtalk.com').optional(),
  })
  .passthrough()
  .superRefine((value, ctx) => {
    const empty = (v?: string) => v === undefined || v === '';
    if (value.mode === 'http') {
      if (empty(value.callbackToken)) {
        ctx.addIssue({ code: 'custom', path: ['callbackToken'], message: 'callbackToken is required in http mode (developer console → Event Subscription → HTTP push → token)' });
      }
      if (empty(value.callbackAesKey)) {
        ctx.addIssue({ code: 'custom', path: ['callbackAesKey'], message: 'callbackAesKey is required in http mode (developer console → Event Subscription → HTTP push → aes_key)' });
      }
    }
    if (!empty(value.callbackToken) && !CALLBACK_TOKEN.test(value.callbackToken as string)) {
      ctx.addIssue({ code: 'custom', path: ['callbackToken'], message: 'callbackToken must be 3–32 letters or digits, as set in the developer console' });
    }
    if (!empty(value.callbackAesKey) && !AES_KEY.test(value.callbackAesKey as string)) {
      ctx.addIssue({ code: 'custom', path: ['callbackAesKey'], message: 'callbackAesKey must be exactly 43 letters or digits; copy the aes_key from the developer console again' });
    }
  });

/**
 * Validates integration options; throws a coded 400 whose message names every bad field. Options
 * saved by the earlier 0.0.9 plugin are read too (see legacy-options.ts); `provider` is the record's.
 */
export function parseIntegrationOptions(input: unknown, provider?: string): DingTalkIntegrationOptions {
  const result = integrationOptionsSchema.safeParse(fromLegacyOptions(input ?? {}, provider));
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({ field: issue.path.join('.') || '(options)', message: issue.message }));
    throw new DingTalkError(
      'dingtalk_config_invalid',
      `DingTalk integration settings are invalid: ${issues.map((i) => i.message).join('; ')}`,
      400,
      { fields: issues },
    );
  }
  const options = result.data as DingTalkIntegrationOptions;
  return { ...options, robotCode: options.robotCode || options.clientId };
}

// The last two are 0.0.9 keys we ignore but must not echo either.
export const SECRET_FIELDS = ['clientSecret', 'callbackToken', 'callbackAesKey', 'cardCallbackSecret', 'webhookAccessToken', 'webhookSignSecret'] as const;

/** A copy of the options without any secret, safe to return to a browser. */
export function withoutSecrets<T extends Record<string, unknown>>(options: T): Partial<T> {
  const copy: Record<string, unknown> = { ...options };
  for (const key of SECRET_FIELDS) delete copy[key];
  return copy as Partial<T>;
}
