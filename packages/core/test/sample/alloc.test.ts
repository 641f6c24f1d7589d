import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Sampler } from '../../src/sample/sampler.js';
import type { SamplingOptions } from '../../src/sample/options.js';
import { randomLogits, testRandom } from './helpers.js';

/**
 * A full collection on demand, so garbage and incremental marking left over from test-runner
 * start-up are not attributed to the sampler.
 */
function fullGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Runs `body` and returns the kinds of the garbage collections that happened meanwhile. */
async function collectGc(body: () => void): Promise<number[]> {
  const kinds: number[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries() as (PerformanceEntry & { detail?: { kind: number } })[]) {
      if (e.detail) kinds.push(e.detail.kind);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  body();
  // GC entries are delivered asynchronously; give them time to arrive before disconnecting.
  await new Promise((r) => setTimeout(r, 100));
  obs.disconnect();
  return kinds;
}

const VOCAB = 32000;
const STEPS = 20_000;

describe('Sampler allocation', () => {
  const cases: [string, SamplingOptions][] = [
    ['default chain with penalties and a ban', { repeatPenalty: 1.1, frequencyPenalty: 0.1, logitBias: { 5: -Infinity } }],
    ['greedy', { temperature: 0, repeatPenalty: 1.1 }],
  ];
  for (const [name, opts] of cases) {
    it(`${STEPS} decode steps on a ${VOCAB} vocab (${name}) cause no major GC and at most 2 minor GCs`, async () => {
      const rand = testRandom(31);
      // A few logit rows reused round-robin so the loop itself allocates nothing.
      const rows = Array.from({ length: 8 }, () => randomLogits(VOCAB, rand, 2));
      const s = new Sampler(VOCAB, { seed: 1, ...opts });
      for (let i = 0; i < 2000; i++) s.accept(s.sample(rows[i & 7])); // let the JIT settle
      fullGc();
      let checksum = 0;
      let heapGrowth = 0;
      const kinds = await collectGc(() => {
        const before = process.memoryUsage().heapUsed;
        for (let i = 0; i < STEPS; i++) {
          const id = s.sample(rows[i & 7]);
          s.accept(id);
          checksum += id & 1;
        }
        heapGrowth = process.memoryUsage().heapUsed - before;
      });
      expect(checksum).toBeGreaterThan(0);
      const major = kinds.filter((k) => k === constants.NODE_PERFORMANCE_GC_MAJOR).length;
      const minor = kinds.filter((k) => k === constants.NODE_PERFORMANCE_GC_MINOR).length;
      expect(major).toBe(0);
      expect(minor).toBeLessThanOrEqual(2);
      // Without a collection in between, heap growth is what the loop allocated. The bound
      // tolerates a few boxed numbers per step (JIT-dependent) but not per-candidate garbage.
      if (kinds.length === 0) expect(heapGrowth / STEPS).toBeLessThan(256);
    });
  }
});
