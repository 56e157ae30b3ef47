/**
 * Layering of src/ (see README "Architecture"). `npm run lint` runs this; a
 * violation fails the build.
 */
const DOMAIN = '^src/(conversation|runner|reply|delivery|notify|trigger|dispatch|handoff)/';
const EDGE = '^src/(http/|intake/(.+[.]controller|.+[.]receiver)[.]ts$)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles: shared types belong in src/kernel/.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'kernel-is-a-leaf',
      severity: 'error',
      comment: 'src/kernel/ may use only itself and packages.',
      from: { path: '^src/kernel/' },
      to: { path: '^src/', pathNot: '^src/kernel/' },
    },
    {
      name: 'domain-not-on-transport-edge',
      severity: 'error',
      comment: 'Domain folders (their controllers aside) must not depend on HTTP controllers, receivers or http/.',
      from: { path: DOMAIN, pathNot: '[.]controller[.]ts$' },
      to: { path: EDGE },
    },
    {
      name: 'sql-only-in-persistence',
      severity: 'error',
      comment: 'Database drivers and query runners are used only in src/persistence/.',
      from: { path: '^src/', pathNot: '^src/persistence/' },
      to: { path: '(^|/)node_modules/(pg|pg-pool|@electric-sql/pglite)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '[.](test|spec)[.]ts$' },
  },
};
