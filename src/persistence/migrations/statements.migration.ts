import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A migration that is a list of statements each way, run in order inside TypeORM's migration
 * transaction. A numbered migration names itself and lists its statements; the running is here.
 */
export abstract class StatementsMigration implements MigrationInterface {
  abstract name: string;
  protected abstract readonly upStatements: readonly string[];
  protected abstract readonly downStatements: readonly string[];

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of this.upStatements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of this.downStatements) await queryRunner.query(statement);
  }
}
