import { isDingTalkApiError, type DingTalkClient } from '../dingtalk/client';
import type { CreateAndDeliverCardRequest } from '../dingtalk/client-types';
import { DingTalkError } from '../kernel/errors';
import type { Queryable } from '../persistence/database';
import type { OutboxRecord, OutboxRepository, OutboxReserveInput } from '../persistence/outbox.repository';
import { sendOnce } from './send-once';

/**
 * Creates ONE card per outbox key, or adopts the one DingTalk already has. The outTrackId comes
 * from the key, so when an earlier create reached DingTalk but its answer was lost (a client
 * timeout, a crash), the next create is answered `param.cardAlreadyExist` (HTTP 400, the
 * create-and-deliver document's error table): that card is ours, it is recorded as sent and the
 * caller goes on with it (streaming into it, updating it). `adopted` says so.
 */

export interface CardCreated {
  row: OutboxRecord;
  outTrackId: string;
  /** The outbox already held it (`sent`): DingTalk was not called. */
  reused: boolean;
  /** DingTalk already had this outTrackId: a lost answer of an earlier create. */
  adopted: boolean;
}

export async function createOrAdoptCard(
  db: Queryable,
  outbox: OutboxRepository,
  reserve: OutboxReserveInput,
  now: number,
  client: DingTalkClient,
  request: CreateAndDeliverCardRequest,
  options: { stream?: { owner: string } } = {},
): Promise<CardCreated> {
  let adopted = false;
  const { row, reused } = await sendOnce(db, outbox, reserve, now, async () => {
    try {
      const res = await client.createAndDeliverCard(request);
      const failed = res.deliverResults.filter((r) => !r.success);
      if (res.deliverResults.length > 0 && failed.length === res.deliverResults.length) {
        throw new DingTalkError(
          'delivery_card_undelivered',
          `DingTalk created the card but could not deliver it: ${failed.map((f) => f.errorMsg || f.spaceId).join('; ')}.`,
          422,
        );
      }
      const carriers = res.deliverResults.filter((r) => r.success && r.carrierId).map((r) => r.carrierId as string);
      return {
        outTrackId: request.outTrackId,
        processQueryKey: carriers[0] ?? null,
        result: { outTrackId: request.outTrackId, carrierIds: carriers, failed: failed.map((f) => ({ spaceId: f.spaceId, error: f.errorMsg })) },
      };
    } catch (error) {
      if (!isCardAlreadyExists(error)) throw error;
      adopted = true;
      return { outTrackId: request.outTrackId, result: { outTrackId: request.outTrackId, carrierIds: [], adopted: true } };
    }
  }, options.stream?.owner);
  if (options.stream && !reused) await outbox.startCardStream(row.id, options.stream.owner);
  return { row, outTrackId: row.outTrackId ?? request.outTrackId, reused, adopted };
}

/**
 * DingTalk's answer to a second create with the same outTrackId: `param.cardAlreadyExist`
 * (documented); older gateways and earlier simulators worded it as an outTrackId duplicate.
 */
export function isCardAlreadyExists(error: unknown): boolean {
  if (!isDingTalkApiError(error)) return false;
  const code = `${error.platformCode} ${error.subCode ?? ''}`;
  return /cardAlreadyExist/i.test(code) || (/outTrackId/i.test(code) && /duplicat|exist/i.test(code));
}
