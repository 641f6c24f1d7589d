import { defineConfig } from 'tsup';

// One entry per export in package.json. `splitting` shares modules between entries in the
// CommonJS build as well as the ESM one, so `GGUFError` from `@legato/core` and from
// `@legato/core/gguf` are the same class under require() too.
// The second build is the browser one: the root entry only (the subpaths read and write files),
// ESM, with the browser twins of src/platform/* (package.json `imports`, picked by the `browser`
// condition esbuild sets for platform 'browser'); the `browser` export condition points at it.
export default defineConfig([{
  entry: {
    index: 'src/index.ts',
    gguf: 'src/gguf/index.ts',
    tokenizer: 'src/tokenizer/index.ts',
    sample: 'src/sample/index.ts',
    synth: 'src/synth/index.ts',
    quantize: 'src/quantize/index.ts',
    internals: 'src/internals.ts',
  },
  format: ['esm', 'cjs'],
  splitting: true,
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
}, {
  entry: { index: 'src/index.ts' },
  outDir: 'dist/browser',
  format: ['esm'],
  platform: 'browser',
  sourcemap: true,
  target: 'es2022',
}]);
