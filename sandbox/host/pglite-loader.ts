import * as NodeModule from 'node:module';

/**
 * typeorm-pglite (and the PGlite it loads), required by Node itself rather than through Jest's module
 * sandbox. PGlite's emscripten loader runs a dynamic `import()`, which Jest's sandbox refuses without
 * --experimental-vm-modules. Module._load is Node's real loader (Jest copies it onto its stand-in for
 * the `module` builtin); outside Jest it is simply `require`. Consequence under Jest: PGlite's Dates
 * and objects come from another realm, so never rely on `instanceof Date` for values read from it.
 */
export function loadTypeormPglite(): typeof import('typeorm-pglite') {
  const nodeModule = NodeModule as unknown as {
    Module: new (id: string) => { filename: string; paths: string[] };
    _nodeModulePaths(dir: string): string[];
    _load(request: string, parent: unknown, isMain: boolean): unknown;
  };
  const parent = new nodeModule.Module(__filename);
  parent.filename = __filename;
  parent.paths = nodeModule._nodeModulePaths(__dirname);
  return nodeModule._load('typeorm-pglite', parent, false) as typeof import('typeorm-pglite');
}
