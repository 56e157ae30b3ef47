import { Inject, Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { PluginConfig } from '../config/plugin-config';
import { DingTalkError } from '../kernel/errors';
import { createPluginDataSource, Database, DatabaseAvailability, runMigrations } from '../persistence';
import { DINGTALK_CLOCK, DINGTALK_PLUGIN_CONFIG } from '../kernel/tokens';

/**
 * The plugin's own database handle. A 3.7 host neither registers plugin entities nor creates their
 * tables, so we open our own DataSource on the host's connection settings and run our migrations.
 */
@Injectable()
export class PluginDatabase implements OnApplicationShutdown {
  private readonly logger = new Logger('DingTalkPlugin');
  private database?: Database;
  private opening?: Promise<Database>;
  /** Outages this replica has seen, from the first connection attempt on. */
  readonly availability: DatabaseAvailability;

  constructor(
    @Inject(DINGTALK_PLUGIN_CONFIG) private readonly config: PluginConfig,
    @Optional() @Inject(DataSource) private readonly hostDataSource?: DataSource,
    @Optional() @Inject(DINGTALK_CLOCK) now?: () => number,
  ) {
    this.availability = new DatabaseAvailability(now ?? Date.now);
  }

  /** Opens the connection and migrates; safe to call from several places at once. */
  open(): Promise<Database> {
    if (this.database) return Promise.resolve(this.database);
    if (!this.opening) {
      this.opening = this.connect().then(
        (db) => (this.database = db),
        (error) => {
          this.opening = undefined;
          this.availability.noteFailure(error);
          throw error;
        },
      );
    }
    return this.opening;
  }

  get ready(): boolean {
    return this.database !== undefined;
  }

  /** The open database, or a coded 503 while it is not (yet) reachable. */
  get db(): Database {
    if (!this.database) {
      throw new DingTalkError('dingtalk_database_unavailable', 'The DingTalk plugin database is not ready; check the database connection in the server log.', 503);
    }
    return this.database;
  }

  /** After every onModuleDestroy: the worker and receivers finish their last writes first. */
  async onApplicationShutdown(): Promise<void> {
    const db = this.database;
    this.database = undefined;
    await db?.close();
  }

  private async connect(): Promise<Database> {
    const dataSource = createPluginDataSource({ hostOptions: this.hostDataSource?.options, databaseUrl: this.config.database });
    await dataSource.initialize();
    try {
      await runMigrations(dataSource, this.logger);
      return await Database.open(dataSource, { availability: this.availability });
    } catch (error) {
      await dataSource.destroy().catch(() => undefined);
      throw error;
    }
  }
}
