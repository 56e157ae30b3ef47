import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The layering rules of `.dependency-cruiser.cjs` (run by `npm run lint`): each one reports the
 * deliberate violation planted for it in test/fixtures/boundaries, and src/ has none.
 */
const ROOT = join(__dirname, '../../..');
const CLI = join(ROOT, 'node_modules/.bin/depcruise');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

function cruise(cwd: string): Violation[] {
  // depcruise exits non-zero when it finds violations; the JSON report is on stdout either way.
  const run = spawnSync(CLI, ['src', '--config', CONFIG, '--output-type', 'json'], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (!run.stdout) throw new Error(`depcruise gave no report: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('layering rules', () => {
  let fixture: Violation[];
  beforeAll(() => {
    fixture = cruise(join(ROOT, 'test/fixtures/boundaries'));
  }, 120_000);

  const found = (rule: string) => fixture.filter((v) => v.rule.name === rule).map((v) => `${v.from} -> ${v.to}`);

  it('reports the kernel importing the intake edge', () => {
    expect(found('kernel-is-a-leaf')).toEqual(['src/kernel/clock.ts -> src/intake/webhook.controller.ts']);
  });

  it('reports a file cycle', () => {
    expect(found('no-circular')).toEqual(['src/conversation/session.ts -> src/conversation/turn.ts']);
  });

  it('reports a cycle between folders that has no file cycle', () => {
    expect(found('no-folder-cycle').sort()).toEqual(['src/reply -> src/runner', 'src/runner -> src/reply']);
  });

  it('reports the platform layer and persistence importing anything of ours but the kernel', () => {
    expect(found('platform-uses-only-kernel')).toEqual(['src/dingtalk/client.ts -> src/http/log-ref.ts']);
    expect(found('persistence-uses-only-kernel')).toEqual(['src/persistence/outbox.repository.ts -> src/trigger/trigger.ts']);
  });

  it('reports a domain folder importing the HTTP plumbing', () => {
    expect(found('domain-not-on-transport-edge')).toEqual(['src/trigger/trigger.ts -> src/http/log-ref.ts']);
  });

  it('reports a database driver and TypeORM outside persistence', () => {
    expect(found('sql-only-in-persistence')).toEqual([expect.stringMatching(/^src\/notify\/outbox\.ts -> .*node_modules\/pg\//)]);
    expect(found('typeorm-only-in-persistence')).toEqual([expect.stringMatching(/^src\/notify\/outbox\.ts -> .*node_modules\/typeorm\//)]);
  });

  it('finds nothing in src/, and the lint script runs the same rules', () => {
    expect(cruise(ROOT)).toEqual([]);
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.lint).toContain('depcruise src --config .dependency-cruiser.cjs');
  }, 120_000);

  it('keeps SQL text in persistence/ only', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) {
          if (relative(join(ROOT, 'src'), path) !== 'persistence') walk(path);
        } else if (name.endsWith('.ts') && /['"`]\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|WITH)\s/.test(readFileSync(path, 'utf8'))) {
          offenders.push(relative(ROOT, path));
        }
      }
    };
    walk(join(ROOT, 'src'));
    expect(offenders).toEqual([]);
  });
});

// The CLI must be the pinned devDependency, not whatever npx would fetch.
it('uses the pinned dependency-cruiser', () => {
  const pinned = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies['dependency-cruiser'];
  expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
  expect(execFileSync(CLI, ['--version'], { encoding: 'utf8' }).trim()).toBe(pinned);
});
