import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/convene-process.js';

const setup = (env: NodeJS.ProcessEnv) =>
  spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'setup.mjs'), '--no-apt', '--no-npm'], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });

describe('scripts/setup.mjs', () => {
  // --no-npm: this test must not reinstall node_modules under the other test files running beside it.
  it('a second run finds the cached worker and rebuilds nothing', () => {
    const res = setup({});
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/worker: .*mediasoup-worker/);
    expect(res.stdout).not.toContain('building mediasoup-worker');
  });

  it('fails loudly, naming the missing piece, when the given worker binary does not exist', () => {
    const res = setup({ MEDIASOUP_WORKER_BIN: '/nonexistent/mediasoup-worker' });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('[setup] FAILED: MEDIASOUP_WORKER_BIN=/nonexistent/mediasoup-worker does not exist');
  });
});
