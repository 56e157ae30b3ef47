import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The embedded database owns its folder: it must be new/empty or one it created before (PostgreSQL
 * data folders hold `PG_VERSION`). Anything else would crash the embedded engine with a bare exit
 * status, so it is refused here with the folder named. Returns the problem, or undefined when fine.
 */
export function dataDirProblem(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  if (!statSync(dir).isDirectory()) return `DATA_DIR ${dir} is a file, not a folder. Point DATA_DIR at a new or empty folder.`;
  const entries = readdirSync(dir).filter((name) => name !== '.DS_Store');
  if (entries.length === 0 || entries.includes('PG_VERSION')) return undefined;
  const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
  return `DATA_DIR ${dir} is not a database folder: it holds other files (${shown}) and no PG_VERSION. Point DATA_DIR at a new or empty folder (e.g. ${join(dir, 'sandbox-db')}), or at one an earlier \`npm start\` created.`;
}
