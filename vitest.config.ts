import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The single-file binary's own tests: vitest.binary.config.ts, once it is built.
    exclude: ['test/binary/**', 'node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // e2e tests spawn the built binary and servers; two cores, keep the pool small.
    maxWorkers: 2,
    // One module graph per worker, not one per test file: re-importing vitest, msw, fast-check and
    // the sources for each of ~80 files cost more CPU than all the in-process tests together. The
    // code has no module singletons (everything comes through the Context), and a test that changes
    // a global (process.env, fake timers, msw's fetch) restores it in its own finally/afterAll.
    isolate: false,
  },
});
