// Bundles the page (app.ts) and the Legato worker (worker.ts) into dist/ with esbuild, for the
// browser: @legato/core resolves to its TypeScript sources (the workspace's `source` condition)
// and, through its `browser` condition, to the browser twins of its Node-only parts.
//   node examples/browser/build.mjs [--minify]
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Builds dist/app.js and dist/worker.js; resolves to esbuild's result. */
export function buildExample({ minify = false } = {}) {
  return build({
    entryPoints: { app: `${here}app.ts`, worker: `${here}worker.ts` },
    outdir: `${here}dist`,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['source'],
    sourcemap: true,
    minify,
    logLevel: 'warning',
    absWorkingDir: here,
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildExample({ minify: process.argv.includes('--minify') });
  console.log(`built ${here}dist/app.js and dist/worker.js`);
}
