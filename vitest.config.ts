import { defineConfig } from 'vitest/config';

/** Every test file, in both projects' terms. */
const ALL_TESTS = ['{common,server,sfu,sip-gateway,bin,test}/**/*.test.ts', 'web/test/**/*.test.ts'];

/**
 * End-to-end tests: a real convene process, Chromium, sipp/baresip, coturn or mediasoup workers.
 * Selected by folder and name so new ones land here without being listed: everything in test/ and
 * sip-gateway/test/, any *.e2e.test.ts, *.browser.test.ts or *.wire.test.ts; plus the few beside the
 * code that start a mediasoup worker or coturn.
 */
const E2E_TESTS = [
  'test/**/*.test.ts',
  'sip-gateway/test/**/*.test.ts',
  '**/*.e2e.test.ts',
  '**/*.browser.test.ts',
  '**/*.wire.test.ts',
  'sfu/src/worker-pool.test.ts',
  'sfu/src/media/media-room.test.ts',
  'server/src/turn/embedded-turnserver.test.ts',
];

export default defineConfig({
  test: {
    // Real Redis, mediasoup workers, sipp and Chromium: give slow machines room, but never hang CI.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Files run in parallel processes; each test starts its own servers on port 0 / private sockets.
    pool: 'forks',
    maxWorkers: 2,
    // Root-level reporters see the whole run (every project): one closing "Tests: …" line.
    reporters: ['default', './test/support/summary-reporter.ts'],
    // `npm run test:unit` runs `unit` only (pure code, may use a real redis-server: seconds);
    // `npm test` and CI run both.
    projects: [
      { extends: true, test: { name: 'unit', include: ALL_TESTS, exclude: ['**/node_modules/**', ...E2E_TESTS] } },
      { extends: true, test: { name: 'e2e', include: E2E_TESTS, exclude: ['**/node_modules/**'] } },
    ],
  },
});
