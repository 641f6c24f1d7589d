import type { Options } from 'tsup';

/**
 * The Node build (ESM + CommonJS with types; `node` overrides its entries and options), and the
 * browser build: the root entry only, ESM, with the browser twins of src/platform/* (package.json
 * `imports`, picked by the `browser` condition esbuild sets for platform 'browser'); package.json's
 * `browser` export condition points bundlers at it.
 */
export function nodeAndBrowserBuilds(node: Options = {}): Options[] {
  return [
    { entry: ['src/index.ts'], format: ['esm', 'cjs'], dts: true, sourcemap: true, clean: true, target: 'node20', ...node },
    { entry: { index: 'src/index.ts' }, outDir: 'dist/browser', format: ['esm'], platform: 'browser', sourcemap: true, target: 'es2022' },
  ];
}
