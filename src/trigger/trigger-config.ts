import { accessConfigOf, OPEN_ACCESS, readAccessSettings, type AccessSettings } from '../access/access-policy';
import type { TriggerBindingConfig } from '../persistence';
import { isRecord } from '../kernel/is-record';

/** The settings of one DingTalk trigger node, as the studio stores them in `node.config`. */
export interface DingTalkTriggerConfig {
  enabled: boolean;
  integrationId: string;
  sessionTimeoutSeconds: number;
  summaryWindowSeconds: number;
  /** When set, answers stream through the Xpert threads API with this key (high privilege: secret). */
  xpertApiKey?: string;
  /** Origin of the Xpert API for that runner; default from the plugin config or this host. */
  xpertApiBaseUrl?: string;
  /** Who may talk to the expert (private chats, groups, members); open when not set. */
  access: AccessSettings;
  /** Groups: one expert conversation per member (default) or one for the whole group. */
  groupSessionMode: GroupSessionMode;
}

export type GroupSessionMode = 'per_user' | 'shared';

export const TRIGGER_LIMITS = {
  sessionTimeoutSeconds: { min: 60, max: 604_800, default: 3600 },
  summaryWindowSeconds: { min: 0, max: 300, default: 0 },
} as const;

export type TriggerNumberField = keyof typeof TRIGGER_LIMITS;

/**
 * Reads `node.config` leniently: the studio may send numbers as strings, and a node saved before a
 * field existed lacks it. Numbers are NOT clamped here, so validate() can report them; use
 * `clampTriggerConfig` before storing.
 */
export function readTriggerConfig(raw: unknown): DingTalkTriggerConfig {
  const value = isRecord(raw) ? raw : {};
  return {
    enabled: value.enabled === undefined || value.enabled === null ? true : value.enabled !== false && value.enabled !== 'false',
    integrationId: typeof value.integrationId === 'string' ? value.integrationId.trim() : '',
    sessionTimeoutSeconds: readNumber(value.sessionTimeoutSeconds, TRIGGER_LIMITS.sessionTimeoutSeconds.default),
    summaryWindowSeconds: readNumber(value.summaryWindowSeconds, TRIGGER_LIMITS.summaryWindowSeconds.default),
    ...optionalText('xpertApiKey', value.xpertApiKey),
    ...optionalText('xpertApiBaseUrl', value.xpertApiBaseUrl),
    access: readAccessSettings(value),
    groupSessionMode: value.groupSessionMode === 'shared' ? 'shared' : 'per_user',
  };
}

/** True when `field` is a whole number inside its limits. */
export function inRange(field: TriggerNumberField, value: number): boolean {
  const { min, max } = TRIGGER_LIMITS[field];
  return Number.isInteger(value) && value >= min && value <= max;
}

/** Publish must never fail, so out-of-range numbers are brought inside the limits instead. */
export function clampTriggerConfig(config: DingTalkTriggerConfig): DingTalkTriggerConfig {
  return {
    ...config,
    sessionTimeoutSeconds: clamp('sessionTimeoutSeconds', config.sessionTimeoutSeconds),
    summaryWindowSeconds: clamp('summaryWindowSeconds', config.summaryWindowSeconds),
  };
}

/** What the binding row stores (the integration id and `enabled` have their own columns). */
export function toBindingConfig(config: DingTalkTriggerConfig): TriggerBindingConfig {
  const clamped = clampTriggerConfig(config);
  return {
    sessionTimeoutSeconds: clamped.sessionTimeoutSeconds,
    summaryWindowSeconds: clamped.summaryWindowSeconds,
    ...(clamped.xpertApiKey ? { xpertApiKey: clamped.xpertApiKey } : {}),
    ...(clamped.xpertApiBaseUrl ? { xpertApiBaseUrl: clamped.xpertApiBaseUrl } : {}),
    ...accessConfigOf(clamped.access ?? OPEN_ACCESS),
    ...(clamped.groupSessionMode === 'shared' ? { groupSessionMode: 'shared' } : {}),
  };
}

/** Session idle timeout of a stored binding config (defaults when absent or odd). */
export function sessionTimeoutOf(config: TriggerBindingConfig | undefined | null): number {
  return clamp('sessionTimeoutSeconds', readNumber(config?.sessionTimeoutSeconds, TRIGGER_LIMITS.sessionTimeoutSeconds.default));
}

/** Group session mode of a stored binding config ('per_user' when absent or odd). */
export function groupSessionModeOf(config: TriggerBindingConfig | undefined | null): GroupSessionMode {
  return config?.groupSessionMode === 'shared' ? 'shared' : 'per_user';
}

/** Summary window of a stored binding config; 0 = dispatch each message at once. */
export function summaryWindowOf(config: TriggerBindingConfig | undefined | null): number {
  return clamp('summaryWindowSeconds', readNumber(config?.summaryWindowSeconds, TRIGGER_LIMITS.summaryWindowSeconds.default));
}

function clamp(field: TriggerNumberField, value: number): number {
  const { min, max } = TRIGGER_LIMITS[field];
  if (!Number.isFinite(value)) return TRIGGER_LIMITS[field].default;
  return Math.min(max, Math.max(min, Math.round(value)));
}

function readNumber(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const parsed = typeof value === 'number' ? value : Number(value);
  return Number.isNaN(parsed) ? NaN : parsed;
}

function optionalText<K extends string>(key: K, value: unknown): Partial<Record<K, string>> {
  return typeof value === 'string' && value.trim() ? ({ [key]: value.trim() } as Record<K, string>) : {};
}

