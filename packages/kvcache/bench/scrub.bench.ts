/**
 * What isolation costs (prints; not a test): the bytes of one KV block and the time to scrub it,
 * for the shapes of a few real models, measured through the cache's own allocation path under the
 * 'off' policy (each reused block is scrubbed as it is handed out) against the same path on a new
 * pool (nothing stale, nothing scrubbed).
 *
 * Run: node --conditions=source --import tsx packages/kvcache/bench/scrub.bench.ts
 */
import { PagedKVCache } from '../src/index.js';

const SHAPES = [
  { name: 'stories260K', layers: 5, kvHeads: 4, headDim: 8 },
  { name: 'TinyStories-15M', layers: 6, kvHeads: 6, headDim: 48 },
  { name: 'TinyLlama-1.1B', layers: 22, kvHeads: 4, headDim: 64 },
  { name: 'Llama-3-8B', layers: 32, kvHeads: 8, headDim: 128 },
] as const;
const BLOCK_SIZE = 16;
const BLOCKS = 256;
const ROUNDS = 20;

/** Median ns per block of handing out every block of `make()`'s pool to one sequence. */
function allocNsPerBlock(make: () => PagedKVCache, stale: boolean): { ns: number; lazyScrubs: number } {
  const times: number[] = [];
  let lazyScrubs = 0;
  for (let r = 0; r < ROUNDS; r++) {
    // A new pool each round: a freed block is stale whether or not anything was written to it.
    const cache = make();
    if (stale) {
      const a = cache.createSequence();
      cache.appendSlots(a, BLOCKS * BLOCK_SIZE);
      cache.f32.fill(1);
      cache.freeSequence(a);
    }
    const t0 = process.hrtime.bigint();
    const b = cache.createSequence();
    cache.appendSlots(b, BLOCKS * BLOCK_SIZE);
    const ns = Number(process.hrtime.bigint() - t0);
    lazyScrubs += cache.stats().gc.lazyScrubs;
    if (r > 2) times.push(ns / BLOCKS);
  }
  times.sort((x, y) => x - y);
  return { ns: times[times.length >> 1], lazyScrubs };
}

console.log(`block size ${BLOCK_SIZE} tokens, f32 K/V, ${BLOCKS}-block pool, median of ${ROUNDS - 3} rounds`);
console.log('model            bytes/block   alloc, clean   alloc + scrub   scrub/block   GB/s');
for (const s of SHAPES) {
  const make = (): PagedKVCache => new PagedKVCache({
    layers: s.layers, kvHeads: s.kvHeads, headDim: s.headDim, blockSize: BLOCK_SIZE,
    memoryBytes: BLOCKS * 2 * s.layers * s.kvHeads * s.headDim * BLOCK_SIZE * 4,
    gc: { policy: 'off' }, prefixCaching: false,
  });
  const clean = allocNsPerBlock(make, false);
  const dirty = allocNsPerBlock(make, true);
  if (clean.lazyScrubs !== 0 || dirty.lazyScrubs !== ROUNDS * BLOCKS) throw new Error('unexpected scrub counts');
  const bytes = make().layout.bytesPerBlock;
  const scrubbed = dirty.ns;
  const scrub = scrubbed - clean.ns;
  console.log(
    `${s.name.padEnd(16)} ${String(bytes).padStart(11)}   ${(clean.ns / 1000).toFixed(2).padStart(9)} µs   ` +
    `${(scrubbed / 1000).toFixed(2).padStart(10)} µs   ${(scrub / 1000).toFixed(2).padStart(8)} µs   ${(bytes / scrub).toFixed(1).padStart(5)}`,
  );
}
