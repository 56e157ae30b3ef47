import type { Config } from 'jest';

// Integration tests share one PostgreSQL (PGlite in-process, or the server named by DATABASE_URL);
// running test files one at a time keeps them from racing each other's tables.
const config: Config = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/test/reliability/', '/test/e2e/'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  maxWorkers: 1,
  testTimeout: 30000,
  setupFiles: ['reflect-metadata', '<rootDir>/test/support/quiet-sdk-console.ts'],
  // The SDK's CommonJS build require()s the ESM-only lodash-es, which Node >= 20.19 loads natively
  // but Jest's module runtime cannot; lodash is the same library in CommonJS form.
  moduleNameMapper: { '^lodash-es$': 'lodash', '^lodash-es/(.*)$': 'lodash/$1' },
};

export default config;
