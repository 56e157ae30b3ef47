import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A migration that is a list of SQL statements each way, run one per query (the same text runs on a
 * PostgreSQL server and on PGlite). Subclasses give the `name` TypeORM records and the statements.
 */
export abstract class StatementMigration implements MigrationInterface {
  abstract name: string;

  protected constructor(
    private readonly upStatements: readonly string[],
    private readonly downStatements: readonly string[],
  ) {}

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of this.upStatements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of this.downStatements) await queryRunner.query(statement);
  }
}
