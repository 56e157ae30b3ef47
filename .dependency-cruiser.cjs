/**
 * The layering of src/ (README, "Architecture"). `npm run lint` runs it and fails on any violation;
 * test/unit/lint/boundaries.test.ts proves each rule bites on a fixture.
 */
const DOMAIN = '^src/(conversation|runner|reply|delivery|notify|trigger|dispatch|handoff)/';
// The transport edge: HTTP plumbing, and the controllers and receivers of the intake.
const EDGE = '^src/(http/|intake/.+[.](controller|receiver)[.]ts$)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles between files: move the shared type into src/kernel/.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment: 'No cycles between the folders of src/: each capability depends one way only.',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'kernel-is-a-leaf',
      severity: 'error',
      comment: 'src/kernel/ uses only itself and packages, so every capability may use it.',
      from: { path: '^src/kernel/' },
      to: { path: '^src/', pathNot: '^src/kernel/' },
    },
    {
      name: 'platform-uses-only-kernel',
      severity: 'error',
      comment: 'src/dingtalk/ (the DingTalk platform layer) uses nothing of ours but the kernel.',
      from: { path: '^src/dingtalk/' },
      to: { path: '^src/', pathNot: '^src/(kernel|dingtalk)/' },
    },
    {
      name: 'persistence-uses-only-kernel',
      severity: 'error',
      comment: 'src/persistence/ (tables, migrations, repositories) uses nothing of ours but the kernel.',
      from: { path: '^src/persistence/' },
      to: { path: '^src/', pathNot: '^src/(kernel|persistence)/' },
    },
    {
      name: 'domain-not-on-transport-edge',
      severity: 'error',
      comment: 'The domain (its own controllers aside) does not depend on HTTP plumbing, controllers or receivers.',
      from: { path: DOMAIN, pathNot: '[.]controller[.]ts$' },
      to: { path: EDGE },
    },
    {
      name: 'sql-only-in-persistence',
      severity: 'error',
      comment: 'Database drivers are used only in src/persistence/.',
      from: { path: '^src/', pathNot: '^src/persistence/' },
      to: { path: '(^|/)node_modules/(pg|pg-pool|pg-cursor|@electric-sql/pglite)/' },
    },
    {
      name: 'typeorm-only-in-persistence',
      severity: 'error',
      comment:
        'TypeORM (entities, migrations, DataSource, QueryRunner) stays in src/persistence/. The two ' +
        'host adapters take the host\'s DataSource as an injection token only; their statements live in persistence/.',
      from: {
        path: '^src/',
        pathNot: '^src/(persistence/|core/plugin-database[.]service[.]ts$|host/host-integration-records[.]ts$)',
      },
      to: { path: '(^|/)node_modules/typeorm/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '[.](test|spec)[.]ts$' },
  },
};
