/**
 * Sliding windows under continuous batching: tokens of two sequences in one forward batch (each
 * with its own window start per token) give the logits each sequence gets alone.
 */
import { describe, expect, it } from 'vitest';
import { WasmBackend } from '@legato/quant';
import { readGGUFHeader } from '../../src/gguf/header.js';
import { loadGGUF } from '../../src/gguf/load.js';
import { readLlamaConfig } from '../../src/model/config.js';
import { LlamaForward } from '../../src/model/forward.js';
import { ContiguousKVCache } from '../../src/model/kv-cache.js';
import { bindLlamaWeights } from '../../src/model/weights.js';
import { testIds, tinyModel } from './harness.js';

describe.each(['tiny-gemma2', 'tiny-gemma3'])('%s: a batch mixing two sequences', (shape) => {
  it('equals each sequence run alone, row for row', async () => {
    const path = await tinyModel(shape, 'F32');
    const config = readLlamaConfig(readGGUFHeader(path));
    const file = await loadGGUF(path);
    const weights = bindLlamaWeights(file, config);
    const arena = file.arena;
    const backend = await WasmBackend.create(arena, { threads: 1 });
    const ctx = 128;
    const fwd = new LlamaForward(config, weights, backend, arena, { maxBatch: 64, maxContext: ctx });
    const cache = (): ContiguousKVCache => new ContiguousKVCache(arena.allocF32(ContiguousKVCache.floatsNeeded(config.nLayers, ctx, config.kvDim)), config.nLayers, ctx, config.kvDim);
    const V = config.vocabSize;
    const a = testIds(48, V, 11), b = testIds(38, V, 12);
    try {
      // Alone: the last 8 tokens of each, after a prefix, with every row's logits.
      const soloA = cache(), soloB = cache();
      fwd.run(a, 40, 0, soloA);
      const wantA = fwd.run(a.slice(40), 8, 40, soloA, true).slice();
      fwd.run(b, 30, 0, soloB);
      const wantB = fwd.run(b.slice(30), 8, 30, soloB, true).slice();
      // Together: the same prefixes, then one batch interleaving both sequences' 8 tokens.
      const ca = cache(), cb = cache();
      fwd.run(a, 40, 0, ca);
      fwd.run(b, 30, 0, cb);
      ca.reserve(48);
      cb.reserve(38);
      const bt = fwd.batch;
      for (let i = 0; i < 8; i++) {
        bt.tokens[i] = a[40 + i]; bt.positions[i] = 40 + i; bt.caches[i] = ca;
        bt.tokens[8 + i] = b[30 + i]; bt.positions[8 + i] = 30 + i; bt.caches[8 + i] = cb;
      }
      bt.n = 16;
      for (let i = 0; i < 16; i++) bt.logitRows[i] = i;
      bt.nLogits = 16;
      const got = fwd.runBatch();
      let maxDiff = 0;
      for (let i = 0; i < 8 * V; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(got[i] - wantA[i]), Math.abs(got[8 * V + i] - wantB[i]));
      }
      // The same arithmetic per row; only the matmul's token panels differ, so agreement is to rounding.
      expect(maxDiff).toBeLessThan(1e-3);
    } finally {
      fwd.dispose();
      backend.dispose();
    }
  });
});
