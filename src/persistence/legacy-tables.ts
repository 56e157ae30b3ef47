import { createHash } from 'node:crypto';
import type { QueryRunner } from 'typeorm';
import type { PersistenceLogger } from '../kernel/logger';
import { TABLES } from './entities/table-names';

/**
 * Upgrading from the earlier `@xpert-ai/plugin-dingtalk` 0.0.9, whose two tables had our names but
 * camelCase columns (created by the host's schema sync, not by migrations). Before migration 0001
 * can create our tables, such tables are renamed aside — never dropped, so a rollback still has
 * them — together with their indexes and constraints, so that none of our names stays taken.
 * Migration 0009 then copies their rows into ours.
 */
export const LEGACY_009_TABLES = {
  triggerBinding: 'plugin_dingtalk_legacy_009_trigger_binding',
  conversationBinding: 'plugin_dingtalk_legacy_009_conversation_binding',
} as const;

interface LegacyShape {
  /** Our table name the legacy table occupies. */
  table: string;
  /** Where it goes. */
  aside: string;
  /** A column only the legacy shape has, and one only ours has: detection is by columns, not by name. */
  legacyColumn: string;
  ourColumn: string;
}

const SHAPES: readonly LegacyShape[] = [
  { table: TABLES.triggerBinding, aside: LEGACY_009_TABLES.triggerBinding, legacyColumn: 'integrationId', ourColumn: 'integration_id' },
  { table: TABLES.conversationBinding, aside: LEGACY_009_TABLES.conversationBinding, legacyColumn: 'conversationUserKey', ourColumn: 'session_key' },
];

// PostgreSQL truncates longer identifiers, which could make two renamed indexes collide.
const MAX_IDENTIFIER = 63;

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Renames legacy-shaped tables aside, in one transaction. Call it while holding the migration lock,
 * before the migrations run. Returns the tables moved (old → new name); a database without them —
 * fresh, or already ours — is not touched.
 */
export async function moveLegacyTablesAside(runner: QueryRunner, logger: PersistenceLogger): Promise<Array<{ from: string; to: string }>> {
  const legacy: LegacyShape[] = [];
  for (const shape of SHAPES) {
    const columns = await columnsOf(runner, shape.table);
    if (columns.has(shape.legacyColumn) && !columns.has(shape.ourColumn)) legacy.push(shape);
  }
  if (legacy.length === 0) return [];

  const moved: Array<{ from: string; to: string }> = [];
  await runner.startTransaction();
  try {
    for (const shape of legacy) {
      const aside = await freeTableName(runner, shape.aside);
      const indexes = (await runner.query(
        `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE i.indrelid = to_regclass($1) ORDER BY c.relname`,
        [shape.table],
      )) as Array<{ name: string }>;
      // Index-backed constraints (primary key, unique) are renamed with their index.
      const constraints = (await runner.query(
        `SELECT conname AS name FROM pg_constraint WHERE conrelid = to_regclass($1) AND conindid = 0 ORDER BY conname`,
        [shape.table],
      )) as Array<{ name: string }>;
      await runner.query(`ALTER TABLE ${ident(shape.table)} RENAME TO ${ident(aside)}`);
      for (const { name } of indexes) {
        if (name.startsWith(shape.table)) await runner.query(`ALTER INDEX ${ident(name)} RENAME TO ${ident(renamed(name, shape.table, aside))}`);
      }
      for (const { name } of constraints) {
        if (name.startsWith(shape.table)) {
          await runner.query(`ALTER TABLE ${ident(aside)} RENAME CONSTRAINT ${ident(name)} TO ${ident(renamed(name, shape.table, aside))}`);
        }
      }
      moved.push({ from: shape.table, to: aside });
    }
    await runner.commitTransaction();
  } catch (error) {
    await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  }
  logger.log(`DingTalk plugin upgrade from 0.0.9: kept its tables aside as ${moved.map((m) => m.to).join(', ')}; their rows are copied by the migrations`);
  return moved;
}

async function columnsOf(runner: QueryRunner, table: string): Promise<Set<string>> {
  const rows = (await runner.query(
    `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
    [table],
  )) as Array<{ name: string }>;
  return new Set(rows.map((row) => row.name));
}

/**
 * The aside name, or — when an earlier upgrade already used it (0.0.9 reinstalled and upgraded
 * again) — the first free `<name>_<n>`, so nothing already kept aside is ever touched.
 */
async function freeTableName(runner: QueryRunner, base: string): Promise<string> {
  for (let n = 1; n < 100; n += 1) {
    const candidate = n === 1 ? base : `${base}_${n}`;
    const [row] = (await runner.query(`SELECT to_regclass($1) IS NULL AS free`, [candidate])) as Array<{ free: boolean }>;
    if (row?.free) return candidate;
  }
  throw new Error(`DingTalk plugin upgrade: no free name to keep ${base} aside; drop old copies of ${base}_<n> you no longer need`);
}

function renamed(name: string, table: string, aside: string): string {
  const candidate = aside + name.slice(table.length);
  if (candidate.length <= MAX_IDENTIFIER) return candidate;
  return `${aside.slice(0, MAX_IDENTIFIER - 13)}_${createHash('sha256').update(name).digest('hex').slice(0, 12)}`;
}

// Migrations get no logger of their own (and the DataSource's TypeORM logger keeps migration chatter
// at debug), so the copy migration leaves its summary here for the migrator to log.
const upgradeReports = new WeakMap<object, string[]>();

/** Called by a migration: one line for the migrator's log (counts only, never row contents). */
export function reportUpgrade(dataSource: object, line: string): void {
  upgradeReports.set(dataSource, [...(upgradeReports.get(dataSource) ?? []), line]);
}

/** Called by the migrator after the migrations ran: the lines reported meanwhile, once. */
export function takeUpgradeReports(dataSource: object): string[] {
  const lines = upgradeReports.get(dataSource) ?? [];
  upgradeReports.delete(dataSource);
  return lines;
}
