/**
 * The decode loop must not create JavaScript garbage: reserving a slot, locating it, committing
 * tokens, ending and starting sequences, stepping the GC (whose pauses are timed) and polling
 * stats into a preallocated object allocate nothing, under every GC policy, with or without a GC
 * event listener.
 *
 * Measured after warm-up (so V8 has optimized the code) in two ways: V8's GC performance entries
 * (a long loop must not trigger a single collection) and the growth of the young generation,
 * where every short-lived object is born. The young generation is used rather than `heapUsed`,
 * which also moves, by up to a page at a time, when V8 stores compiled code in the old space.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { PagedKVCache, createKVCacheStats, type GcEvent, type GcPolicy } from '../src/index.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function youngGenerationBytes(): number {
  for (const space of getHeapSpaceStatistics()) if (space.space_name === 'new_space') return space.space_used_size;
  throw new Error('V8 reports no new_space');
}

interface Measurement {
  collections: number;
  /** Young-generation growth while `work` ran. */
  bytes: number;
}

/** Runs `work` from an empty young generation and reports what it left there and the collections it caused. */
async function measure(work: () => void): Promise<Measurement> {
  collectGarbage();
  let collections = 0;
  const observer = new PerformanceObserver((list) => {
    collections += list.getEntries().length;
  });
  observer.observe({ entryTypes: ['gc'] });
  const before = youngGenerationBytes();
  work();
  const bytes = youngGenerationBytes() - before;
  // GC entries are delivered asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return { collections, bytes };
}

const SEQUENCES = 8;
const MAX_LEN = 64;

/**
 * A decode loop over 8 interleaved sequences that end (at 36 to 64 tokens, so the eager GC runs
 * often) and restart. All state is made once, so successive calls of `step` run the same, already
 * optimized code.
 */
class DecodeLoop {
  private readonly tokens = Array.from({ length: SEQUENCES }, () => new Int32Array(MAX_LEN));
  private readonly seqs = new Int32Array(SEQUENCES);
  private readonly lengths = new Int32Array(SEQUENCES);
  private readonly stats = createKVCacheStats();
  private steps = 0;

  constructor(private readonly cache: PagedKVCache) {
    for (let i = 0; i < SEQUENCES; i++) this.seqs[i] = cache.createSequence();
  }

  /** One decode step: a token for every sequence (or its restart), a GC step, a stats poll. Returns the tokens decoded. */
  step(): number {
    const cache = this.cache;
    const kv = cache.f32;
    const stride = cache.layout.slotStride;
    let decoded = 0;
    for (let i = 0; i < SEQUENCES; i++) {
      const seq = this.seqs[i];
      if (this.lengths[i] === MAX_LEN - i * 4) {
        // Finished: end it and start a new one (slot and table arrays are reused).
        cache.freeSequence(seq);
        this.seqs[i] = cache.createSequence();
        this.lengths[i] = 0;
        continue;
      }
      cache.appendSlots(seq, 1);
      const pos = this.lengths[i]++;
      this.tokens[i][pos] = (this.steps * 31 + i) % 1000;
      for (let layer = 0; layer < cache.layout.layers; layer++) {
        const k = cache.slotOffset(seq, pos, layer, 'k');
        const v = cache.slotOffset(seq, pos, layer, 'v');
        for (let d = 0; d < stride; d++) kv[k + d] = kv[v + d] = d + pos;
      }
      cache.commitTokens(seq, this.tokens[i], pos + 1);
      decoded++;
    }
    cache.step();
    cache.stats(this.stats);
    this.steps++;
    return decoded;
  }

  /** Runs `steps` steps; returns the tokens decoded. */
  run(steps: number): number {
    let decoded = 0;
    for (let s = 0; s < steps; s++) decoded += this.step();
    return decoded;
  }

  /** GC cycles so far (read through the loop's own stats object: a fresh one could disturb V8's optimized code). */
  gcCycles(): number {
    return this.cache.stats(this.stats).gc.cycles;
  }

  finish(): void {
    for (let i = 0; i < SEQUENCES; i++) this.cache.freeSequence(this.seqs[i]);
  }
}

function decodingCache(policy: GcPolicy): PagedKVCache {
  // 128 blocks for 8 sequences of up to 4 blocks each: full blocks stay cached for prefix reuse
  // until the pool is full, then are evicted, and every policy has freed blocks to scrub and verify.
  return new PagedKVCache({
    layers: 4,
    kvHeads: 2,
    headDim: 16,
    blockSize: 16,
    memoryBytes: 4 * 2 * 2 * 16 * 16 * 4 * 128,
    gc: { policy, intervalTokens: 20, budget: { blocks: 2, microseconds: 1e6 } },
  });
}

describe('no garbage per token', () => {
  for (const policy of ['eager', 'periodic', 'incremental', 'off'] as GcPolicy[]) {
    for (const listening of [false, true]) {
      it(`${policy}${listening ? ', with a GC listener' : ''}: a long decode loop allocates nothing`, async () => {
        const cache = decodingCache(policy);
        // What a metrics observer does: copy the fields of each (reused) event into typed columns.
        const pauses = new Float64Array(2);
        if (listening) {
          cache.onGc((e: Readonly<GcEvent>) => {
            pauses[0] = e.startTime;
            pauses[1] += e.durationMs;
          });
        }
        const loop = new DecodeLoop(cache);
        loop.run(20_000); // warm up: V8 optimises the code, tables grow once
        const cyclesBefore = loop.gcCycles();
        let tokens = 0;
        const { collections, bytes } = await measure(() => {
          tokens = loop.run(30_000);
        });
        const cycles = loop.gcCycles() - cyclesBefore;
        expect(collections).toBe(0);
        // Over 200k tokens and (but for 'off') over 3000 GC cycles: one boxed double (16 bytes, the
        // cost of a performance.now() call) per token would be 3 MB, one per cycle over 48 KB. What
        // remains (under 10 KB) is V8 settling its optimized code.
        expect(tokens).toBeGreaterThan(200_000);
        if (policy !== 'off') expect(cycles).toBeGreaterThan(3000);
        expect(bytes).toBeLessThan(32 * 1024);
        if (listening && policy !== 'off') expect(pauses[1]).toBeGreaterThan(0);
        loop.finish();
        cache.checkInvariants();
      });
    }
  }
});
