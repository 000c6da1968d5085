import { defineConfig } from 'vitest/config';

// Tests run on the TypeScript sources of every workspace package, resolved through the
// `@switchboard/source` export condition, so nothing has to be built first (except
// the e2e tier, which drives the built server and web app).
const resolve = { conditions: ['@switchboard/source'] };
const ssr = {
  resolve: { conditions: ['@switchboard/source'], externalConditions: ['@switchboard/source'] },
};

export default defineConfig({
  test: {
    projects: [
      {
        resolve,
        ssr,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'bench/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        resolve,
        ssr,
        test: {
          name: 'int',
          include: [
            'packages/*/src/**/*.int.test.ts',
            'packages/*/test/**/*.int.test.ts',
            'bench/**/*.int.test.ts',
            'e2e/cluster/**/*.int.test.ts',
          ],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve,
        ssr,
        test: {
          name: 'e2e',
          include: ['e2e/**/*.e2e.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
