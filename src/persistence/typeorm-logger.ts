import type { Logger as TypeOrmLogger } from 'typeorm';
import type { PersistenceLogger } from '../kernel/logger';

/** Slow statements are worth a warning; the queue's claim query should stay far below this. */
export const SLOW_QUERY_MS = 2000;

/**
 * Routes TypeORM's own messages to our logger. Queries and their parameters are never logged: the
 * parameters may hold decrypted message bodies (P17). Failed queries surface as errors to the caller,
 * which decides what to log, so they only reach debug here.
 */
export class TypeOrmLoggerAdapter implements TypeOrmLogger {
  constructor(private readonly logger: PersistenceLogger) {}

  logQuery(): void {
    // Deliberately silent, see above.
  }

  logQueryError(error: string | Error): void {
    this.logger.debug(`plugin database query failed: ${typeof error === 'string' ? error : error.message}`);
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn(`slow plugin database query (${time} ms): ${query.replace(/\s+/g, ' ').slice(0, 200)}`);
  }

  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    const text = typeof message === 'string' ? message : String(message);
    if (level === 'warn') this.logger.warn(text);
    else this.logger.debug(text);
  }
}
