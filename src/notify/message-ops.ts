import { toCardData } from '../dingtalk/outbound';
import type { OutboxRecord } from '../persistence/outbox.repository';
import { isRecord } from './dingtalk-run-context';
import type { NotifyDelivery, OutgoingMessage } from './notify-delivery';
import { notifyError, RECALL_EXPIRED_REASON, RECALL_EXPIRED_TEXT } from './notify-errors';
import type { NotifyRecipient } from './recipient.resolver';
import { markdownParts, textParts } from './rich-message';

/**
 * Update and recall of messages this middleware sent, found through their outbox rows (P15).
 * A message id is our outbox row id, an opaque uuid (any part of a long message stands for the
 * whole message); DingTalk's processQueryKey and a card's outTrackId are not accepted, they can be
 * derived or guessed. Only messages of the run's own scope may be touched (see `assertInScope`).
 */

export interface RecallOutcome {
  recalled: string[];
  failed: Array<{ messageId: string; reason: string }>;
}

/** Every part of the send that `messageId` belongs to, oldest part first. */
export async function findMessage(delivery: NotifyDelivery, messageId: string): Promise<OutboxRecord[]> {
  const row = await delivery.outbox.findById(delivery.integration.id, messageId.trim());
  if (!row) {
    throw notifyError('notify_message_not_found', `No message with id "${messageId}" was sent through this DingTalk integration. Use a message_id returned by a dingtalk_send_* tool.`);
  }
  const request = isRecord(row.request) ? row.request : {};
  const parts = typeof request.parts === 'number' ? request.parts : 1;
  if (parts <= 1 || typeof request.baseKey !== 'string') return [row];
  const rows: OutboxRecord[] = [];
  for (let part = 1; part <= parts; part += 1) {
    const sibling = await delivery.outbox.findByKey(`${request.baseKey}:p${part}`);
    if (sibling) rows.push(sibling);
  }
  return rows.length ? rows : [row];
}

export async function recallRows(delivery: NotifyDelivery, rows: OutboxRecord[]): Promise<RecallOutcome> {
  const outcome: RecallOutcome = { recalled: [], failed: [] };
  for (const row of rows) {
    if (row.status === 'recalled') {
      outcome.recalled.push(row.id);
      continue;
    }
    const reason = unrecallableReason(row);
    if (reason) {
      outcome.failed.push({ messageId: row.id, reason });
      continue;
    }
    const keys = processQueryKeysOf(row);
    const recipient = recipientOf(row);
    const result =
      recipient.type === 'chat_id'
        ? await delivery.client.recallGroupMessages(recipient.ids[0], keys)
        : await delivery.client.recallUserMessages(keys);
    const failures = keys.map((key) => result.failedResult[key]).filter(Boolean);
    if (failures.length === 0) {
      await delivery.outbox.markRecalled(row.id);
      outcome.recalled.push(row.id);
    } else {
      outcome.failed.push({ messageId: row.id, reason: failures.includes(RECALL_EXPIRED_REASON) ? RECALL_EXPIRED_TEXT : `DingTalk refused the recall (${failures.join(', ')}).` });
    }
  }
  return outcome;
}

/** A card is changed in place; DingTalk merges the given keys into its data. */
export async function updateCardInPlace(delivery: NotifyDelivery, row: OutboxRecord, data: Record<string, unknown>): Promise<void> {
  if (Object.keys(data).length === 0) throw notifyError('notify_update_empty', 'Nothing to update: pass text, title or cardData.');
  await delivery.client.updateCard({ outTrackId: row.outTrackId as string, cardData: toCardData(data), cardUpdateOptions: { updateCardDataByKey: true } });
}

/** The new message replacing a plain one: same kind and recipient as the original. */
export function replacementParts(rows: OutboxRecord[], input: { text?: string; title?: string }): OutgoingMessage[] {
  const text = input.text?.trim() ? input.text : undefined;
  if (!text) throw notifyError('notify_update_empty', 'DingTalk cannot edit a plain message; pass the complete new text and it will be recalled and sent again.');
  const first = rows[0];
  const original = isRecord(first.request) && typeof first.request.title === 'string' ? first.request.title.replace(/ \(\d+\/\d+\)$/, '') : undefined;
  if (first.messageKind === 'text' && !input.title) return textParts(text);
  return markdownParts(input.title?.trim() || original || 'Update', text);
}

/**
 * Update and recall may touch only messages sent in the current run's scope: its DingTalk
 * conversation, or the middleware's configured recipient — unless the builder allowed the model to
 * pick recipients. Anything else is refused with a sentence the model can act on.
 */
export function assertInScope(rows: OutboxRecord[], scopes: NotifyRecipient[], conversationId?: string): void {
  const allowed = new Set(scopes.filter((scope) => scope.ids.length > 0).map(scopeKey));
  for (const row of rows) {
    const recipient = recipientOf(row);
    if (recipient.ids.length > 0 && allowed.has(scopeKey(recipient))) continue;
    // Replies to someone without a userId were stored under the conversation id.
    if (conversationId && row.targetType === 'webhook' && row.targetId === conversationId) continue;
    throw notifyError(
      'notify_message_out_of_scope',
      'That message was not sent in this conversation (or to the recipient configured on the DingTalk notify middleware), so it cannot be updated or recalled from here. Only use message ids returned in this run.',
    );
  }
}

function scopeKey(recipient: Pick<NotifyRecipient, 'type' | 'ids'>): string {
  return `${recipient.type}:${[...recipient.ids].sort().join(',')}`;
}

/** The recipient a stored row was sent to (updates go to the same place). */
export function recipientOf(row: OutboxRecord): NotifyRecipient {
  const request = isRecord(row.request) ? row.request : {};
  const stored = isRecord(request.recipient) ? request.recipient : {};
  const type = stored.type === 'chat_id' || stored.type === 'open_id' ? stored.type : row.targetType === 'group' ? 'chat_id' : 'user_id';
  const ids = Array.isArray(stored.ids) ? stored.ids.filter((id): id is string => typeof id === 'string') : row.targetId.split(',');
  return { integrationId: row.integrationId, type, ids, source: 'config' };
}

function unrecallableReason(row: OutboxRecord): string | undefined {
  if (row.targetType === 'webhook' && !(isRecord(row.result) && row.result.via === 'openapi')) return 'It was posted through the conversation’s reply webhook, and DingTalk offers no recall for those.';
  if (row.status !== 'sent') return 'It was never delivered, so there is nothing to recall.';
  if (processQueryKeysOf(row).length === 0) return 'DingTalk returned no message key for it, so it cannot be recalled.';
  return undefined;
}

function processQueryKeysOf(row: OutboxRecord): string[] {
  const result = isRecord(row.result) ? row.result : {};
  const keys = Array.isArray(result.processQueryKeys) ? result.processQueryKeys : Array.isArray(result.carrierIds) ? result.carrierIds : [];
  const all = [...keys, row.processQueryKey].filter((key): key is string => typeof key === 'string' && key !== '');
  return [...new Set(all)];
}
