import { randomUUID } from 'node:crypto';
import type { DingTalkClient } from '../dingtalk/client';
import { normalizeLanguage, t } from '../i18n';
import type { OutboxRepository } from '../persistence/outbox.repository';

export interface AbandonedCardSweeperDeps {
  outbox: () => Promise<OutboxRepository>;
  /** This replica: the sweep takes abandoned cards over under this owner. */
  replicaId: string;
  clientFor: (integrationId: string) => Promise<DingTalkClient>;
  /** An owner without a heartbeat this long is dead. */
  staleMs: number;
  /** How long a dead owner's card waits for a job retry to take it over before it is finalized. */
  graceMs: number;
  batch?: number;
  /** Tests' clock for the grace; default the database clock. */
  clock?: () => Date;
  logger: { debug(message: string): void; warn(message: string): void };
}

/**
 * No card left spinning: an answer card still streaming whose owner died (and that no retry took
 * over within the grace) is finalized by whichever replica's sweep finds it first, in the card's
 * language, as an error state saying the answer was interrupted. Run at boot and periodically.
 * A card that cannot be finalized now is given back and found again by a later sweep.
 */
export class AbandonedCardSweeper {
  constructor(private readonly deps: AbandonedCardSweeperDeps) {}

  /** One sweep; returns how many cards it finalized. */
  async sweep(): Promise<number> {
    const outbox = await this.deps.outbox();
    const cards = await outbox.takeAbandonedCards({ owner: this.deps.replicaId, staleMs: this.deps.staleMs, graceMs: this.deps.graceMs, limit: this.deps.batch ?? 20, clock: this.deps.clock });
    let finalized = 0;
    for (const card of cards) {
      const request = (card.request ?? {}) as { contentKey?: string; language?: string };
      try {
        const client = await this.deps.clientFor(card.integrationId);
        await client.streamCard({
          outTrackId: card.outTrackId ?? '',
          guid: randomUUID(),
          key: request.contentKey || 'content',
          content: t(normalizeLanguage(request.language), 'delivery.cardInterrupted'),
          isFull: true,
          isFinalize: true,
          isError: true,
        });
        await outbox.finishCardStream(card.id, 'abandoned');
        finalized += 1;
      } catch (error) {
        this.deps.logger.warn(`abandoned card ${card.id}: could not finalize it now (${(error as Error).message}); a later sweep tries again`);
        await outbox.abandonCardStream(card.id).catch(() => undefined);
      }
    }
    if (finalized > 0) this.deps.logger.debug(`finalized ${finalized} answer card(s) a dead replica left streaming`);
    return finalized;
  }
}
