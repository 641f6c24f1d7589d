/**
 * The decode loop allocates nothing: thousands of steps after warm-up, with no V8 collection and
 * almost no young-generation growth. Each layout in a file of its own (its own process): after a call site has seen another
 * KV-cache class, or tests exercising other paths, V8 may run a helper unoptimized for a while,
 * and unoptimized code boxes every non-integer number — garbage that is not the loop's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PagedKVCache } from '@legato/kvcache';
import { loadModel, type LlamaModel } from '../../src/index.js';
import { greedy } from '../../src/sample/index.js';
import { LlamaForward } from '../../src/model/forward.js';
import { PagedSequenceKV } from '../../src/model/paged-kv-cache.js';
import { modelPath } from '../../../../testing/models.js';
import { measureAllocation } from '../../../../testing/allocation.js';

let model: LlamaModel;
let m: LlamaModel;
beforeAll(async () => {
  model = await loadModel(modelPath('stories260K.gguf'), { backend: 'reference' });
  m = model;
});
afterAll(() => model.dispose());

describe('the decode loop', () => {
  it('the paged decode loop (append, attend, commit, GC step) allocates nothing', async () => {
    const c = m.config;
    const pool = new PagedKVCache({ layers: c.nLayers, kvHeads: c.nKVHeads, headDim: c.headDim, blockSize: 16, memoryBytes: 2 * c.nLayers * c.kvDim * 4 * 4096, gc: { policy: 'incremental' } });
    const fwd = new LlamaForward(c, m.weights, m.backend, m.arena, { maxBatch: 1, maxContext: 1024 });
    const tokens = new Int32Array(1024);
    const step = new Int32Array(1);
    const decode = (n: number): void => {
      for (let round = 0; round < n / 200; round++) {
        const seq = pool.createSequence();
        const kv = new PagedSequenceKV(pool, seq, 1024);
        step[0] = 1;
        for (let pos = 0; pos < 200; pos++) {
          tokens[pos] = step[0];
          fwd.run(step, 1, pos, kv);
          pool.commitTokens(seq, tokens, pos + 1);
          pool.step();
          step[0] = greedy(fwd.logits);
        }
        kv.dispose();
      }
    };
    decode(400);
    const r = await measureAllocation(() => decode(3000));
    fwd.dispose();
    expect(r.gcs).toEqual([]);
    // 15 sequences were created (one small view object each); nothing per token.
    expect(r.youngBytes).toBeLessThan(32 * 1024);
  });
});
