import type { Config } from 'jest';
import base from '../../jest.config';

// The reliability suite (`npm run test:reliability`): several host processes, its own PostgreSQL
// server, thousands of requests. Same transform as the other suites; minutes, not seconds.
const config: Config = {
  ...base,
  rootDir: '../..',
  roots: ['<rootDir>/test/reliability'],
  testMatch: ['**/test/reliability/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 15 * 60_000,
};

export default config;
