import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDirProblem } from '../../../sandbox/data-dir';

describe('sandbox DATA_DIR check', () => {
  const dirs: string[] = [];
  const fresh = () => {
    const dir = mkdtempSync(join(tmpdir(), 'dingtalk-datadir-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('a missing, empty or database folder is fine', () => {
    expect(dataDirProblem(join(fresh(), 'not-yet'))).toBeUndefined();
    expect(dataDirProblem(fresh())).toBeUndefined();
    const db = fresh();
    writeFileSync(join(db, 'PG_VERSION'), '16\n');
    writeFileSync(join(db, 'postgresql.conf'), '');
    expect(dataDirProblem(db)).toBeUndefined();
  });

  it('a folder with other files, or a file, is refused with its path named', () => {
    const other = fresh();
    writeFileSync(join(other, 'notes.txt'), 'hello');
    expect(dataDirProblem(other)).toMatch(new RegExp(`DATA_DIR ${other.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a database folder: it holds other files \\(notes.txt\\)`));
    const file = join(fresh(), 'a-file');
    writeFileSync(file, 'x');
    expect(dataDirProblem(file)).toMatch(/is a file, not a folder/);
  });
});
