import { defineConfig } from 'vitest/config';

/**
 * Two projects: unit tests (fakes only, fast) and end-to-end tests, which
 * start real control planes through scripts/control-plane.sh in their
 * global setup. `npm test` runs both; `npm run test:unit` the first alone.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'test/dist/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts', 'test/dist/**/*.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // The control planes are shared; one file at a time keeps them calm on 2 cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
