// Builds the administration portal: web/portal/src/main.ts → <out>/portal.js, plus index.html,
// portal.css and favicon.svg, so the service's static web root serves it at /portal/.
//   node web/portal/build.mjs [outDir] [--sourcemap]   (default: web/dist/portal, next to the meeting app)
// No source map unless --sourcemap or WEB_SOURCEMAPS=1 (a map hands anyone the whole source).
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import process from 'node:process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** One production build into `outDir`; returns the bundle size in bytes. */
export async function buildPortal(
  outDir = join(here, '..', 'dist', 'portal'),
  { sourcemap = process.argv.includes('--sourcemap') || process.env.WEB_SOURCEMAPS === '1' } = {},
) {
  await mkdir(outDir, { recursive: true });
  if (!sourcemap) await rm(join(outDir, 'portal.js.map'), { force: true });
  const result = await build({
    entryPoints: [join(here, 'src', 'main.ts')],
    outfile: join(outDir, 'portal.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    sourcemap,
    logLevel: 'warning',
    metafile: true,
  });
  await copyFile(join(here, 'index.html'), join(outDir, 'index.html'));
  await copyFile(join(here, 'portal.css'), join(outDir, 'portal.css'));
  await copyFile(join(here, 'favicon.svg'), join(outDir, 'favicon.svg'));
  const out = Object.entries(result.metafile.outputs).find(([k]) => k.endsWith('portal.js'));
  return { bytes: out?.[1].bytes ?? 0, outDir };
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1]);
if (isMain) {
  const dirArg = process.argv.slice(2).find((a) => !a.startsWith('--'));
  const { bytes, outDir } = await buildPortal(dirArg ? resolve(dirArg) : undefined);
  console.log(`${join(outDir, 'portal.js')} ${(bytes / 1024).toFixed(1)} KiB`);
}
