import { z } from 'zod';
import type { DeliveredMessage } from '../notify-delivery';
import { RECIPIENT_TYPES } from '../notify-options';
import type { NotifyRecipient, ToolRecipientInput } from '../recipient.resolver';

/**
 * Schema pieces and result shapes shared by the send tools. Recipient arguments exist in a tool's
 * schema only when the builder allowed them: a model that never sees them cannot try to redirect.
 */

const RECIPIENT_SHAPE = {
  recipient_type: z
    .enum(RECIPIENT_TYPES)
    .optional()
    .describe('Only to send somewhere else than the default: user_id (a person), chat_id (a group openConversationId) or open_id (a unionId; cards only).'),
  recipient_id: z
    .string()
    .optional()
    .describe('Only to send somewhere else than the default: the userId (several separated by commas), openConversationId or unionId. Look people up with dingtalk_list_users.'),
};

/** Recipient arguments as a tool receives them (present only when allowed). */
export interface RecipientArgs {
  recipient_type?: string;
  recipient_id?: string;
}

/** `base`, plus the recipient arguments when the builder allows them (typed as `base` either way). */
export function withRecipientFields<T extends z.ZodRawShape>(base: z.ZodObject<T>, allowed: boolean): z.ZodObject<T> {
  return (allowed ? base.extend(RECIPIENT_SHAPE) : base) as unknown as z.ZodObject<T>;
}

export function toolRecipientOf(args: { recipient_type?: unknown; recipient_id?: unknown }): ToolRecipientInput | undefined {
  if (typeof args.recipient_id !== 'string' || args.recipient_id.trim() === '') return undefined;
  return { recipient_id: args.recipient_id, ...(typeof args.recipient_type === 'string' ? { recipient_type: args.recipient_type as ToolRecipientInput['recipient_type'] } : {}) };
}

export function describeRecipient(recipient: NotifyRecipient): Record<string, unknown> {
  return {
    type: recipient.type,
    id: recipient.ids.length ? recipient.ids.join(',') : 'the private chat this run came from',
    source: recipient.source === 'run_context' ? 'originating conversation' : recipient.source === 'tool' ? 'tool argument' : 'configured recipient',
  };
}

/** `{message_id, message_ids?, via, duplicate?}` for a finished send. */
export function describeSent(sent: DeliveredMessage[]): Record<string, unknown> {
  const ids = sent.map((s) => s.messageId);
  return {
    message_id: ids[0],
    ...(ids.length > 1 ? { message_ids: ids, parts: ids.length } : {}),
    via: sent[0]?.via,
    ...(sent.length > 0 && sent.every((s) => s.reused) ? { duplicate: true, note_duplicate: 'Already sent by an earlier attempt of this same call; not sent again.' } : {}),
    ...(sent.some((s) => s.via === 'webhook') ? { recallable: false } : {}),
  };
}

export function withNotes(result: Record<string, unknown>, notes: string[]): Record<string, unknown> {
  return notes.length ? { ...result, notes } : result;
}
