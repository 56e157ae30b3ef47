import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { silentLogger, type PersistenceLogger } from '../kernel/logger';
import { moveLegacyTablesAside, takeUpgradeReports } from './legacy-tables';
import { isErrorLike } from './sql-values';

/**
 * Session-level advisory lock key that serialises plugin migrations across replicas: the first 8
 * bytes of sha256 of a fixed name, as a signed bigint. Fixed forever (changing it would let an old and
 * a new replica migrate at once); derived from the name so it cannot collide with the host's keys by
 * accident.
 */
export const MIGRATION_LOCK_KEY: string = createHash('sha256')
  .update('@xpert-ai/plugin-dingtalk:migrations')
  .digest()
  .readBigInt64BE(0)
  .toString();

/**
 * Applies pending plugin migrations, each in its own transaction, and returns the names applied.
 *
 * Several replicas booting at once take turns on a session-level `pg_advisory_lock`, held on a
 * dedicated connection for the whole run: the second waits, then finds nothing to do. On PGlite there
 * is one session, so the lock is re-entrant and simply granted. Run this before Database.open() puts
 * the DataSource to work: on PGlite it does not go through the Database's serialisation.
 */
export async function runMigrations(dataSource: DataSource, logger: PersistenceLogger = silentLogger): Promise<string[]> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  const lockRunner = dataSource.createQueryRunner();
  try {
    await lockRunner.connect();
    const [first] = (await lockRunner.query('SELECT pg_try_advisory_lock($1::bigint) AS locked', [MIGRATION_LOCK_KEY])) as Array<{
      locked: boolean;
    }>;
    if (!first?.locked) {
      logger.log('DingTalk plugin migrations: another replica is migrating; waiting for it');
      await lockRunner.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    }
    try {
      // Tables of the earlier 0.0.9 plugin sit on our names; 0001 could not create ours otherwise.
      await moveLegacyTablesAside(lockRunner, logger);
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      const names = applied.map((migration) => migration.name);
      for (const line of takeUpgradeReports(dataSource)) logger.log(line);
      if (names.length > 0) logger.log(`DingTalk plugin migrations applied: ${names.join(', ')}`);
      else logger.debug('DingTalk plugin migrations: schema is up to date');
      return names;
    } finally {
      await lockRunner.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch((error: unknown) => {
        // Almost always a broken connection, which the pool discards together with its session lock.
        logger.warn(`DingTalk plugin migrations: advisory unlock failed: ${isErrorLike(error) ? error.message : String(error)}`);
      });
    }
  } finally {
    await lockRunner.release();
  }
}

/** Names of the plugin migrations recorded as applied (for status pages and tests). */
export async function appliedMigrations(dataSource: DataSource): Promise<string[]> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  const runner = dataSource.createQueryRunner();
  try {
    if (!(await runner.hasTable(table))) return [];
    const rows = (await runner.query(`SELECT name FROM "${table}" ORDER BY id`)) as Array<{ name: string }>;
    return rows.map((row) => row.name);
  } finally {
    await runner.release();
  }
}
