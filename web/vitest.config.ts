import { defineConfig } from 'vitest/config';

// The root vitest config only includes the server-side folders; the web app's tests run with this one:
//   npx vitest run --config web/vitest.config.ts
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
