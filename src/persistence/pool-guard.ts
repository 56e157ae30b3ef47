import type { EventEmitter } from 'node:events';
import type { DataSource } from 'typeorm';
import type { PersistenceLogger } from '../kernel/logger';

/**
 * Gives every pooled pg connection of `dataSource` a standing 'error' listener. When PostgreSQL
 * restarts it sends each session a FATAL notice and closes it; a connection that just went back to
 * the pool without a listener re-throws that event and takes the whole process down. The failure
 * itself still reaches whoever uses the connection next (their query fails and the pool drops it),
 * so the listener only records it. No-op for drivers without a pg pool (PGlite).
 */
export function guardPoolConnections(dataSource: DataSource, logger: Pick<PersistenceLogger, 'debug'>): void {
  const pool = (dataSource.driver as { master?: unknown }).master as (EventEmitter & { _clients?: EventEmitter[] }) | undefined;
  if (!pool || typeof pool.on !== 'function') return;
  const guard = (client: EventEmitter) => {
    if (typeof client?.on !== 'function') return;
    client.on('error', (error: Error) => logger.debug(`database connection lost: ${error.message}`));
  };
  for (const client of pool._clients ?? []) guard(client);
  pool.on('connect', guard);
}
