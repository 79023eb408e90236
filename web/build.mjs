// Builds the meeting web app: web/src/main.ts → web/dist/app.js (+ index.html, app.css).
//   node web/build.mjs               one production build, no source map
//   node web/build.mjs --sourcemap   with app.js.map (also WEB_SOURCEMAPS=1); the server serves it to anyone
//   node web/build.mjs --watch       rebuild on change, with source maps (development)
// Only this app's files in web/dist are replaced: other things the server serves from there
// (web/dist/portal/) are left alone.
import { build, context } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import process from 'node:process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');
const defaultDist = join(here, 'dist');

/** Source maps expose the whole client source: only on request, or while developing (--watch). */
export const sourcemapsRequested = () =>
  process.argv.includes('--sourcemap') || process.argv.includes('--watch') || process.env.WEB_SOURCEMAPS === '1';

const options = (dist, sourcemap) => ({
  entryPoints: [join(src, 'main.ts')],
  outfile: join(dist, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  minify: true,
  sourcemap,
  target: ['chrome110', 'firefox110', 'safari16'],
  legalComments: 'linked',
  logLevel: 'warning',
  // mediasoup-client's logger (the `debug` package) reads this; the browser has no process.
  define: { 'process.env.NODE_ENV': '"production"' },
  metafile: true,
});

async function copyStatic(dist) {
  await copyFile(join(src, 'index.html'), join(dist, 'index.html'));
  await copyFile(join(src, 'app.css'), join(dist, 'app.css'));
}

/**
 * One production build into `dist` (default web/dist); returns the bundle size in bytes and the
 * folder. A map from an earlier build with source maps is removed when this one has none.
 */
export async function buildWebApp(dist = defaultDist, { sourcemap = sourcemapsRequested() } = {}) {
  await mkdir(dist, { recursive: true });
  await rm(join(dist, 'app.LEGAL.txt'), { force: true });
  if (!sourcemap) await rm(join(dist, 'app.js.map'), { force: true });
  const result = await build(options(dist, sourcemap));
  await copyStatic(dist);
  const out = result.metafile.outputs[Object.keys(result.metafile.outputs).find((k) => k.endsWith('app.js'))];
  return { bytes: out?.bytes ?? 0, dist };
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  if (process.argv.includes('--watch')) {
    await mkdir(defaultDist, { recursive: true });
    await copyStatic(defaultDist);
    const ctx = await context({ ...options(defaultDist, true), plugins: [{ name: 'static', setup: (b) => b.onEnd(() => copyStatic(defaultDist)) }] });
    await ctx.watch();
    console.log('watching web/src …');
  } else {
    const { bytes } = await buildWebApp();
    console.log(`web/dist/app.js ${(bytes / 1024).toFixed(1)} KiB`);
  }
}
