import { z } from 'zod';

/**
 * Where a run came from, when the DingTalk trigger started it. The trigger (engine side) writes this
 * object into `state.human.dingtalk`; the notify middleware reads it to answer in the conversation
 * the message arrived in. It is produced by our own intake from a verified DingTalk event, which is
 * why it outranks any configured recipient; its sessionWebhook is still only called when it points
 * at the configured DingTalk host (P19).
 */
export interface DingTalkRunContext {
  integrationId: string;
  conversationType: 'private' | 'group';
  /** openConversationId for groups; DingTalk's 1:1 conversation id for private chats. */
  conversationId: string;
  /** userId of the sender; absent for external users and unpublished robots. */
  senderStaffId?: string;
  senderNick?: string;
  sessionWebhook?: string;
  /** Epoch milliseconds after which `sessionWebhook` no longer works. */
  sessionWebhookExpiresAt?: number;
  /** The inbound message's id: the dedupe key of everything this run answers. */
  eventId: string;
  language: 'zh-Hans' | 'en';
}

/** The key under `state.human` the trigger uses. */
export const RUN_CONTEXT_KEY = 'dingtalk';

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

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
