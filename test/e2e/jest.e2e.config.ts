import type { Config } from 'jest';
import base from '../../jest.config';

// Browser tests of the sandbox page: same TypeScript transform and module mapping as the unit and
// integration suites, but only `*.e2e.ts` files, which the normal `npm test` never picks up.
const config: Config = {
  ...base,
  rootDir: '../..',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/test/e2e/**/*.e2e.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 120000,
};

export default config;
