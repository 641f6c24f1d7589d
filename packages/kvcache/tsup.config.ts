import { defineConfig } from 'tsup';

// The Node build (ESM + CommonJS with types), and the browser build: ESM only, with the browser
// twins of src/platform/* (package.json `imports`, picked by the `browser` condition esbuild sets
// for platform 'browser'); package.json's `browser` export condition points bundlers at it.
export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
  },
  {
    entry: { index: 'src/index.ts' },
    outDir: 'dist/browser',
    format: ['esm'],
    platform: 'browser',
    sourcemap: true,
    target: 'es2022',
  },
]);
