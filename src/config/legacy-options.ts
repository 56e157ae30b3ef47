import { STREAM_PROVIDER_NAME } from '../kernel/tokens';

/**
 * Integration records saved by the earlier 0.0.9 plugin use other option keys. They are read here,
 * before validation, so such a record works without being re-saved; our own keys win when both are
 * present, and nothing is removed from the stored record (a rollback still finds its keys).
 */

/** 0.0.9 keys that have no counterpart here: kept as they are, and named by Test as ignored. */
export const IGNORED_LEGACY_KEYS = ['webhookAccessToken', 'webhookSignSecret'] as const;

const LANGUAGES = ['zh-Hans', 'en'];

const present = (value: unknown): value is string | boolean => (typeof value === 'string' ? value.trim() !== '' : value !== undefined && value !== null);

/** The options with 0.0.9's keys read into ours; `provider` decides the mode of a `dingtalk_long` record. */
export function fromLegacyOptions(input: unknown, provider?: string): unknown {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input;
  const raw = input as Record<string, unknown>;
  const out: Record<string, unknown> = { ...raw };
  const mode = legacyMode(raw, provider);
  if (mode) out.mode = mode;
  if (!present(raw.preferredLanguage) && typeof raw.preferLanguage === 'string' && LANGUAGES.includes(raw.preferLanguage)) {
    out.preferredLanguage = raw.preferLanguage;
  }
  // 0.0.9's appKey is the owner key callbacks are encrypted for; ours is corpId, else the client id.
  if (!present(raw.corpId) && typeof raw.appKey === 'string' && raw.appKey.trim() && raw.appKey.trim() !== String(raw.clientId ?? '').trim()) {
    out.corpId = raw.appKey;
  }
  if (!present(raw.oapiBaseUrl) && typeof raw.legacyApiBaseUrl === 'string' && raw.legacyApiBaseUrl.trim()) {
    out.oapiBaseUrl = raw.legacyApiBaseUrl;
  }
  return out;
}

function legacyMode(raw: Record<string, unknown>, provider?: string): 'stream' | 'http' | undefined {
  // 0.0.9 served `dingtalk_long` records over Stream only.
  if (provider === STREAM_PROVIDER_NAME) return 'stream';
  if (present(raw.mode)) return undefined;
  if (raw.connectionMode === 'long_connection') return 'stream';
  if (raw.connectionMode === 'webhook') return 'http';
  if (raw.httpCallbackEnabled === true || raw.httpCallbackEnabled === 'true') return 'http';
  if (raw.httpCallbackEnabled === false || raw.httpCallbackEnabled === 'false') return 'stream';
  return undefined;
}

/** The 0.0.9 keys set on these options that this plugin does not use (for the Test checklist). */
export function ignoredOptionKeys(input: unknown): string[] {
  if (!input || typeof input !== 'object') return [];
  const raw = input as Record<string, unknown>;
  return IGNORED_LEGACY_KEYS.filter((key) => present(raw[key]));
}
