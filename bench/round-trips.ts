import type { Queryable } from '../src/persistence';

export interface RoundTripFigures {
  concurrency: number;
  total: number;
  perSecond: number;
}

/**
 * The floor for any database-bound work: `concurrency` loops spread over the given pools, each
 * sending `SELECT 1` back to back for `seconds`. Goes through Database.query like the worker's own
 * statements do, so pool checkout and TypeORM's query runner are in the baseline too.
 */
export async function roundTrips(pools: readonly Queryable[], concurrency: number, seconds: number): Promise<RoundTripFigures> {
  let total = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const loop = async (db: Queryable) => {
    while (performance.now() < deadline) {
      await db.query('SELECT 1');
      total += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => loop(pools[i % pools.length])));
  const elapsed = (performance.now() - started) / 1000;
  return { concurrency, total, perSecond: Math.round(total / elapsed) };
}
