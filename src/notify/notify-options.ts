import { z } from 'zod';

/**
 * Options of the DingTalk notify middleware, as the studio stores them on the middleware node.
 * The host hands them over unvalidated (and `{}` when it only lists the tools), so parsing never
 * throws: a problem is kept and reported by the tools, where the model and the builder see it,
 * instead of breaking the agent while it is being built.
 */

export const RECIPIENT_TYPES = ['user_id', 'open_id', 'chat_id'] as const;
export type RecipientType = (typeof RECIPIENT_TYPES)[number];

export const DEFAULT_TIMEOUT_MS = 10_000;

// Form fields arrive as '' when cleared; treat that as "not set".
const optionalText = z.preprocess((value) => (typeof value === 'string' && value.trim() === '' ? undefined : value), z.string().trim().optional());
const flag = (fallback: boolean) => z.preprocess((value) => (value === null || value === '' ? undefined : value), z.boolean().default(fallback));

export const notifyOptionsSchema = z.object({
  integrationId: optionalText,
  recipient_type: z.preprocess((value) => (value === null || value === '' ? undefined : value), z.enum(RECIPIENT_TYPES).default('user_id')),
  recipient_id: optionalText,
  template: z
    .preprocess(
      (value) => (value === null ? undefined : value),
      z.object({ enabled: flag(true), strict: flag(false) }).default({}),
    ),
  autoReply: flag(false),
  allowToolRecipients: flag(false),
  timeoutMs: z.preprocess(
    (value) => (value === null || value === '' ? undefined : value),
    z.coerce.number().int().min(1000).max(120_000).default(DEFAULT_TIMEOUT_MS),
  ),
});

export type NotifyOptions = z.infer<typeof notifyOptionsSchema>;

export interface ParsedNotifyOptions {
  options: NotifyOptions;
  /** Set when the stored options were invalid; defaults are used and the tools report this text. */
  problem?: string;
}

/** The earlier 0.0.9 plugin kept the time limit under `defaults.timeoutMs`; ours is top-level and wins. */
function fromLegacyNotifyOptions(input: unknown): unknown {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input;
  const raw = input as Record<string, unknown>;
  const defaults = raw.defaults;
  const legacyTimeout = defaults && typeof defaults === 'object' ? (defaults as Record<string, unknown>).timeoutMs : undefined;
  if ((raw.timeoutMs === undefined || raw.timeoutMs === null || raw.timeoutMs === '') && legacyTimeout !== undefined && legacyTimeout !== null) {
    return { ...raw, timeoutMs: legacyTimeout };
  }
  return raw;
}

export function parseNotifyOptions(input: unknown): ParsedNotifyOptions {
  const parsed = notifyOptionsSchema.safeParse(fromLegacyNotifyOptions(input ?? {}));
  if (parsed.success) return { options: parsed.data };
  const problem = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`).join('; ');
  return { options: notifyOptionsSchema.parse({}), problem };
}
