/**
 * The decode loop must not create JavaScript garbage: reserving a slot, locating it, committing
 * tokens, ending and starting sequences, stepping the GC and polling stats into a preallocated
 * object allocate nothing (bar the odd boxed double from performance.now() in GC timing, well
 * under a byte per token), so a long loop runs without a single collection. Checked with V8's GC
 * performance entries.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { PagedKVCache, createKVCacheStats, type GcPolicy } from '../src/index.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * Collections while `work` runs, starting from an empty young generation (so warm-up garbage
 * cannot trigger one): any steady allocation per token would fill it many times over.
 */
async function collectionsDuring(work: () => void): Promise<number> {
  collectGarbage();
  let count = 0;
  const observer = new PerformanceObserver((list) => {
    count += list.getEntries().length;
  });
  observer.observe({ entryTypes: ['gc'] });
  work();
  // GC entries are delivered asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return count;
}

function decodeLoop(cache: PagedKVCache, steps: number): void {
  const seqCount = 8;
  const maxLen = 200;
  const tokens = Array.from({ length: seqCount }, () => new Int32Array(maxLen));
  const seqs = new Int32Array(seqCount);
  const lengths = new Int32Array(seqCount);
  const stats = createKVCacheStats();
  const kv = cache.f32;
  const stride = cache.layout.slotStride;
  for (let i = 0; i < seqCount; i++) seqs[i] = cache.createSequence();
  for (let step = 0; step < steps; step++) {
    for (let i = 0; i < seqCount; i++) {
      const seq = seqs[i];
      if (lengths[i] === maxLen - (i * 7)) {
        // Finished: end it and start a new one (slot and table arrays are reused).
        cache.freeSequence(seq);
        seqs[i] = cache.createSequence();
        lengths[i] = 0;
        continue;
      }
      cache.appendSlots(seq, 1);
      const pos = lengths[i]++;
      tokens[i][pos] = (step * 31 + i) % 1000;
      for (let layer = 0; layer < cache.layout.layers; layer++) {
        const k = cache.slotOffset(seq, pos, layer, 'k');
        for (let d = 0; d < stride; d++) kv[k + d] = d + pos;
      }
      cache.commitTokens(seq, tokens[i], pos + 1);
    }
    cache.step();
    cache.stats(stats);
  }
  for (let i = 0; i < seqCount; i++) cache.freeSequence(seqs[i]);
}

describe('no garbage per token', () => {
  for (const policy of ['eager', 'periodic', 'incremental', 'off'] as GcPolicy[]) {
    it(`${policy}: a long decode loop triggers no garbage collection`, async () => {
      const cache = new PagedKVCache({
        layers: 4,
        kvHeads: 2,
        headDim: 16,
        blockSize: 16,
        memoryBytes: 4 * 2 * 2 * 16 * 16 * 4 * 128,
        gc: { policy, intervalTokens: 20, budget: { blocks: 2, microseconds: 1e6 } },
      });
      decodeLoop(cache, 3000); // warm up: optimise the code, grow tables once
      const collections = await collectionsDuring(() => decodeLoop(cache, 60_000));
      expect(collections).toBe(0);
      cache.checkInvariants();
    });
  }
});
