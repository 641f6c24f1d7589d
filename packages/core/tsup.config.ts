import { defineConfig } from 'tsup';

// One entry per export in package.json. `splitting` shares modules between entries in the
// CommonJS build as well as the ESM one, so `GGUFError` from `@legato/core` and from
// `@legato/core/gguf` are the same class under require() too.
export default defineConfig({
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
});
