import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

/** Paths that are test code: what `npm run build` must never put into dist/. */
const TEST_CODE = [/\.test\.ts$/, /(^|\/)testing\.ts$/, /(^|\/)testing\//, /(^|\/)tests\//, /(^|\/)fixtures\//, /(^|\/)bench\//, /^test\//];

describe('the build (tsconfig.build.json)', () => {
  it('compiles no test code: no tests, testing helpers, fixtures, benches or test/support', async () => {
    // The files tsc would emit, including any a shipped module pulls in by import.
    const { stdout } = await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--listFilesOnly'], {
      cwd: repoRoot,
      maxBuffer: 16 * 1024 * 1024,
    });
    const ours = stdout
      .split('\n')
      .map((f) => path.relative(repoRoot, f.trim()))
      .filter((f) => f.endsWith('.ts') && !f.startsWith('node_modules/') && !f.startsWith('..'));
    expect(ours).toContain('bin/convene.ts');
    expect(ours.filter((f) => TEST_CODE.some((re) => re.test(f)))).toEqual([]);
  });
});
