import type { Config } from 'jest';

// Integration tests share one PostgreSQL (PGlite in-process, or the server named by DATABASE_URL);
// running test files one at a time keeps them from racing each other's tables.
const config: Config = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/test/reliability/', '/test/e2e/'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }] },
  maxWorkers: 1,
  testTimeout: 30000,
  setupFiles: ['reflect-metadata'],
};

export default config;
