import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Builds and packs the plugin, unpacks it under a node_modules folder the way the host installs it,
 * then loads it in a fresh Node process with require() and with import(), as the host's loader does
 * (`m.default ?? m`).
 */
const root = join(__dirname, '..', '..', '..');
const work = join(root, '.data', 'package-test');
const installed = join(work, 'node_modules', '@xpert-ai', 'plugin-dingtalk');
const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function node(script: string): any {
  const out = execFileSync(process.execPath, ['-e', script], { cwd: work, encoding: 'utf8', timeout: 60000 });
  return JSON.parse(out.trim().split('\n').pop() as string);
}

const describeObject = `
  const plugin = m.default ?? m;
  console.log(JSON.stringify({
    name: plugin.meta && plugin.meta.name, version: plugin.meta && plugin.meta.version,
    category: plugin.meta && plugin.meta.category, icon: plugin.meta && plugin.meta.icon && plugin.meta.icon.type,
    register: typeof plugin.register, schema: !!(plugin.config && plugin.config.schema),
    cipher: typeof m.createCallbackCipher, sign: typeof m.signRobotRequest, verify: typeof m.verifyRobotRequest,
  }));`;

beforeAll(() => {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe', timeout: 120000 });
  rmSync(work, { recursive: true, force: true });
  mkdirSync(installed, { recursive: true });
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop() as string;
  execFileSync('tar', ['-xzf', join(work, tarball), '-C', installed, '--strip-components=1']);
}, 180000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const expected = {
  name: packageJson.name,
  version: packageJson.version,
  category: 'integration',
  icon: 'svg',
  register: 'function',
  schema: true,
  cipher: 'function',
  sign: 'function',
  verify: 'function',
};

it('ships only the build and its i18n catalogs', () => {
  const files = execFileSync('find', ['.', '-type', 'f'], { cwd: installed, encoding: 'utf8' }).split('\n').filter(Boolean);
  expect(files).toContain('./dist/index.js');
  expect(files).toContain('./dist/i18n/zh-Hans.json');
  expect(files.filter((f) => f.startsWith('./src/') || f.startsWith('./test/') || f.startsWith('./sandbox/'))).toEqual([]);
});

it('loads with require() and meta.name equals the package name', () => {
  expect(node(`const m = require('@xpert-ai/plugin-dingtalk'); ${describeObject}`)).toEqual(expected);
});

it('loads with import()', () => {
  expect(node(`import('@xpert-ai/plugin-dingtalk').then((m) => { ${describeObject} })`)).toEqual(expected);
});
