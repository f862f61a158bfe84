import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Only our own test folders: never node_modules or built front ends.
    include: [
      'packages/*/src/**/*.test.ts',
      'apps/server/test/**/*.test.ts',
      'apps/server/src/**/*.test.ts',
      'apps/console/src/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
