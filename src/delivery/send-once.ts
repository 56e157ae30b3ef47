import { DingTalkError } from '../kernel/errors';
import type { Queryable } from '../persistence/database';
import type { OutboxRecord, OutboxRepository, OutboxReserveInput, OutboxSentInput } from '../persistence/outbox.repository';
import { PROCESS_REPLICA_ID } from './replica-id';

/**
 * The outbox state machine every send goes through (P15): the key is reserved before DingTalk is
 * called, then
 *  - a new row → send, then record DingTalk's ids (`sent`) or the failure (`failed`);
 *  - a row `sent` (or since recalled) → its stored result is reused, nothing is posted;
 *  - a row `pending`, younger than `IN_FLIGHT_MS` and whose sender (a replica) still lives → an
 *    identical send is still running: refused with `delivery_in_flight` (retryable) rather than
 *    posted twice;
 *  - a row `failed`, or `pending` with its sender dead or older (it died before recording the
 *    answer) → sent again, by this sender. At-least-once is the best any sender can do without an
 *    idempotency key at DingTalk.
 */

/** Longer than one client call with all its retries (4 attempts × the 2.5 s timeout plus backoff, about 25 s). */
export const IN_FLIGHT_MS = 30_000;

export interface SendOnceResult {
  row: OutboxRecord;
  /** true when an earlier identical send already went out and DingTalk was not called. */
  reused: boolean;
}

/**
 * `retryInMs`: when the first attempt counts as timed out. A job retried sooner (its own backoff is
 * a second or two) would only be refused again and use up its attempts while the row waits — as
 * when the database went away between the send and recording it, leaving the row pending.
 */
export function inFlightError(key: string, retryInMs?: number): DingTalkError {
  return new DingTalkError(
    'delivery_in_flight',
    `An identical send (${key}) is still in progress; it was not sent a second time. It is retried once the first attempt has finished or timed out.`,
    409,
    retryInMs === undefined ? undefined : { retryInMs: Math.max(0, Math.ceil(retryInMs)) },
  );
}

export async function sendOnce(
  db: Queryable,
  outbox: OutboxRepository,
  input: OutboxReserveInput,
  now: number,
  send: (row: OutboxRecord) => Promise<OutboxSentInput>,
  sender: string = PROCESS_REPLICA_ID,
): Promise<SendOnceResult> {
  const { row, created } = await outbox.reserve(db, { ...input, sender });
  if (!created) {
    if (row.status === 'sent' || row.status === 'recalled') return { row, reused: true };
    const age = now - row.updatedAt.getTime();
    if (row.status === 'pending' && age < IN_FLIGHT_MS && (await outbox.senderAlive(row.id))) throw inFlightError(input.idempotencyKey, IN_FLIGHT_MS - age);
    await outbox.retake(row.id, sender);
  }
  let sent: OutboxSentInput;
  try {
    sent = await send(row);
  } catch (error) {
    // The send error is what the caller must see; an unrecorded failure stays pending and is
    // retried all the same once it is no longer in flight.
    await outbox.markFailed(row.id, error).catch(() => undefined);
    throw error;
  }
  const updated = await outbox.markSent(row.id, sent);
  return { row: updated ?? row, reused: false };
}
