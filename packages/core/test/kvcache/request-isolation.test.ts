/**
 * Issue 9, "No data crosses requests", through the engine: request B reuses the KV blocks request
 * A freed, and at the start of B's first step — its blocks allocated, nothing written yet — every
 * block B holds is all zeros in the pool's memory. Prefix caching is off so that B gets A's
 * blocks as plain free blocks; 'off' is the GC policy that does no work at free time.
 */
import { BLOCK_USED } from '@legato/kvcache';
import { ReferenceBackend, type WeightRef } from '@legato/quant';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type LlamaContext, type LlamaModel } from '../../src/index.js';
import { modelPath } from '../../../../testing/models.js';

/** A backend that, when armed, inspects the KV pool at its next matmul (the first of a step). */
class InspectingBackend extends ReferenceBackend {
  inspect: (() => void) | undefined;
  override matmul(w: WeightRef, x: Float32Array, nTokens: number, out: Float32Array): void {
    const inspect = this.inspect;
    this.inspect = undefined;
    inspect?.();
    super.matmul(w, x, nTokens, out);
  }
}

const backend = new InspectingBackend();
let model: LlamaModel;

beforeAll(async () => {
  model = await loadModel(modelPath('stories260K.gguf'), { backend });
});
afterAll(() => model?.dispose());

/** Blocks in use and whether any byte of them is non-zero, read from the pool's storage. */
function usedBlocks(ctx: LlamaContext): { blocks: number; withData: number } {
  const pool = ctx.kvPool;
  let blocks = 0;
  let withData = 0;
  for (let b = 0; b < pool.numBlocks; b++) {
    if (pool.blockState(b) !== BLOCK_USED) continue;
    blocks++;
    if (!pool.pool.isZero(b)) withData++;
  }
  return { blocks, withData };
}

describe('a KV block freed by one request and reused by the next', () => {
  for (const policy of ['off', 'eager'] as const) {
    it(`${policy}: holds none of the first request's K/V when the second gets it`, async () => {
      const ctx = model.createContext({ contextSize: 256, gc: { policy }, prefixCaching: false });
      try {
        await ctx.generate('Once upon a time there was a little girl named Lily.', { maxTokens: 40, temperature: 0 }).result();
        expect(usedBlocks(ctx).blocks).toBe(0);
        let seen: { blocks: number; withData: number } | undefined;
        backend.inspect = () => {
          seen = usedBlocks(ctx);
        };
        await ctx.generate('The sun was shining on the big green hill.', { maxTokens: 4, temperature: 0 }).result();
        expect(seen).toBeDefined();
        expect(seen!.blocks).toBeGreaterThan(0);
        expect(seen!.withData).toBe(0);
        // …and B did get blocks A had written: the check above was not vacuous.
        expect(ctx.kvPool.stats().gc.lazyScrubs + ctx.kvPool.stats().gc.blocksScrubbed).toBeGreaterThan(0);
      } finally {
        ctx.dispose();
      }
    });
  }
});
