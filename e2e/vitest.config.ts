import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['tests/**/*.e2e.ts'],
    // Each file starts its own server and browser; two cores run two files at once at most.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // A poll waits as a user would for the screen to settle: with vitest's 1 s default, a step
    // on a server just restarted (the subsidy journey) once failed on a busy machine.
    expect: { poll: { timeout: 10_000 } },
  },
});
