import { defineConfig } from 'tsup';
import { nodeAndBrowserBuilds } from '../../tsup.shared.js';

// One Node entry per export in package.json. `splitting` shares modules between entries in the
// CommonJS build as well as the ESM one, so `GGUFError` from `@legato/core` and from
// `@legato/core/gguf` are the same class under require() too. The browser build has the root
// entry only (the subpaths read and write files).
export default defineConfig(nodeAndBrowserBuilds({
  entry: {
    index: 'src/index.ts',
    gguf: 'src/gguf/index.ts',
    tokenizer: 'src/tokenizer/index.ts',
    sample: 'src/sample/index.ts',
    synth: 'src/synth/index.ts',
    quantize: 'src/quantize/index.ts',
    internals: 'src/internals.ts',
  },
  splitting: true,
}));
