import type { OutboxRecord, OutboxRepository, OutboxReserveInput } from '../persistence/outbox.repository';
import type { Queryable } from '../persistence/database';
import { notifyError } from './notify-errors';

/**
 * One send behind one outbox row (P15). The key is reserved before DingTalk is called:
 *  - a new row → send, then record DingTalk's ids;
 *  - a row already `sent` (or since recalled) → the earlier result is reused, nothing is posted;
 *  - a row `pending` and fresh → an identical call is still running: refuse rather than post twice;
 *  - a row `failed`, or `pending` long enough to be an abandoned attempt → send again.
 */

/** Longer than any tool timeout: a pending row younger than this is an attempt still in flight. */
export const IN_FLIGHT_MS = 150_000;

export interface SentIds {
  processQueryKey?: string | null;
  outTrackId?: string | null;
  result?: unknown;
}

export interface OutboxSendResult {
  row: OutboxRecord;
  /** true when an earlier identical call already sent it. */
  reused: boolean;
}

export async function sendOnce(
  db: Queryable,
  outbox: OutboxRepository,
  input: OutboxReserveInput,
  now: number,
  send: (row: OutboxRecord) => Promise<SentIds>,
): Promise<OutboxSendResult> {
  const { row, created } = await outbox.reserve(db, input);
  if (!created) {
    if (row.status === 'sent' || row.status === 'recalled') return { row, reused: true };
    if (row.status === 'pending' && now - row.updatedAt.getTime() < IN_FLIGHT_MS) {
      throw notifyError('notify_send_in_progress', 'An identical send from this same tool call is still in progress; it was not sent a second time. Wait for it instead of repeating the call.');
    }
  }
  let sent: SentIds;
  try {
    sent = await send(row);
  } catch (error) {
    await outbox.markFailed(row.id, error).catch(() => undefined);
    throw error;
  }
  const updated = await outbox.markSent(row.id, sent);
  return { row: updated ?? row, reused: false };
}
