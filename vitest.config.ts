import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{common,server,sfu,sip-gateway,bin,test}/**/*.test.ts', 'web/test/**/*.test.ts'],
    // Real Redis, mediasoup workers, sipp and Chromium: give slow machines room, but never hang CI.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Files run in parallel processes; each test starts its own servers on port 0 / private sockets.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
