import { DataSource } from 'typeorm';
import { guardPoolConnections } from '../../src/persistence/pool-guard';
import { loadTypeormPglite } from './pglite-loader';

export interface HostDatabaseOptions {
  /** PostgreSQL server URL; PGlite (embedded) when absent. */
  url?: string;
  /** PGlite data folder; in memory when absent. */
  dataDir?: string;
}

/**
 * The host's own TypeORM DataSource with a host-like `integration` table (the columns the 3.7
 * host's Integration entity has, camelCase as TypeORM names them).
 */
export async function openHostDatabase(options: HostDatabaseOptions): Promise<DataSource> {
  const dataSource = options.url
    ? new DataSource({ type: 'postgres', url: options.url, name: 'default', extra: { max: 5 } })
    : new DataSource({ type: 'postgres', driver: new (loadTypeormPglite().PGliteDriver)(options.dataDir ? { dataDir: options.dataDir } : {}).driver, name: 'default' });
  await dataSource.initialize();
  // A real host survives a database restart; so must the stand-in, or tests would see it crash.
  guardPoolConnections(dataSource, { debug: () => undefined });
  await dataSource.query(`
    CREATE TABLE IF NOT EXISTS integration (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "tenantId" uuid NULL,
      "organizationId" uuid NULL,
      name varchar NULL,
      description varchar NULL,
      slug varchar NULL,
      provider varchar NOT NULL,
      options json NULL,
      "createdAt" timestamptz NOT NULL DEFAULT now(),
      "updatedAt" timestamptz NOT NULL DEFAULT now()
    )`);
  return dataSource;
}
