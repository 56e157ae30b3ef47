import { z } from 'zod';
import { DINGTALK_RUN_CONTEXT_KEY, type DingTalkRunContext } from '../kernel/run-context';
import { isRecord } from '../kernel/is-record';

/**
 * Where a run came from, when the DingTalk trigger started it (the engine writes it into
 * `state.human.dingtalk`; the type lives with the engine, which produces it). It is built by our own
 * intake from a verified DingTalk event, which is why it outranks any configured recipient; its
 * sessionWebhook is still only called when it points at the configured DingTalk host (P19).
 */
export type { DingTalkRunContext };

/** The key under `state.human` the trigger uses. */
export const RUN_CONTEXT_KEY = DINGTALK_RUN_CONTEXT_KEY;

const nonEmpty = z.string().trim().min(1);

const runContextSchema = z.object({
  integrationId: nonEmpty,
  conversationType: z.enum(['private', 'group']),
  conversationId: nonEmpty,
  senderStaffId: z.string().optional(),
  senderNick: z.string().optional(),
  sessionWebhook: z.string().optional(),
  // null/'' mean unknown (not epoch 0, which would read as expired).
  sessionWebhookExpiresAt: z.preprocess((v) => (v === null || v === '' ? undefined : v), z.coerce.number().finite().optional()),
  eventId: nonEmpty,
  language: z.enum(['zh-Hans', 'en']).catch('zh-Hans'),
});

/**
 * The run context found in an agent state, or undefined. A malformed object is treated as absent
 * (never half-trusted): the caller then falls back to the configured recipient.
 */
export function readRunContext(state: unknown): DingTalkRunContext | undefined {
  const human = isRecord(state) ? state.human : undefined;
  const raw = isRecord(human) ? human[RUN_CONTEXT_KEY] : undefined;
  if (!isRecord(raw)) return undefined;
  const parsed = runContextSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const value = parsed.data;
  return {
    integrationId: value.integrationId,
    conversationType: value.conversationType,
    conversationId: value.conversationId,
    ...(value.senderStaffId ? { senderStaffId: value.senderStaffId } : {}),
    ...(value.senderNick ? { senderNick: value.senderNick } : {}),
    ...(value.sessionWebhook ? { sessionWebhook: value.sessionWebhook } : {}),
    ...(value.sessionWebhookExpiresAt !== undefined ? { sessionWebhookExpiresAt: value.sessionWebhookExpiresAt } : {}),
    eventId: value.eventId,
    language: value.language,
  };
}

/** Re-exported for this folder's readers; the guard itself lives in ../is-record. */
export { isRecord };
