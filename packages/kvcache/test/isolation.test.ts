/**
 * Issue 9, "No data crosses requests": a block freed by one sequence and handed to another never
 * shows the first one's keys or values, under every GC policy and on every path a block takes to
 * its new holder (clean free stack, on-demand scrub, eviction from the prefix cache) — read
 * straight from the block's memory before the new holder writes anything. Only the prefix cache
 * hands a block over with data in it, on purpose: the K/V of the very tokens asked for.
 */
import { describe, expect, it } from 'vitest';
import { BLOCK_USED, type GcPolicy, type PagedKVCache } from '../src/index.js';
import { blockIsZero, blocksOf, holdsToken, tinyCache, writeToken } from './helpers.js';

const POLICIES: GcPolicy[] = ['eager', 'periodic', 'incremental', 'off'];

/** A new sequence of `tokens` tokens with every slot written (non-zero). */
function filledSequence(cache: PagedKVCache, tokens: number, value: number, promptTokens?: number[]): number {
  const seq = cache.createSequence(promptTokens ? { promptTokens } : undefined);
  cache.appendSlots(seq, tokens);
  for (let p = 0; p < tokens; p++) writeToken(cache, seq, p, value + p);
  if (promptTokens) cache.commitTokens(seq, promptTokens);
  return seq;
}

/** Whether any byte of the blocks is non-zero, read from the storage itself (not through a sequence). */
function anyData(cache: PagedKVCache, blocks: number[]): boolean {
  return blocks.some((blk) => !blockIsZero(cache, blk));
}

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('no K/V data crosses between requests', () => {
  for (const policy of POLICIES) {
    it(`${policy}: every block handed to B reads zero although A wrote all of them`, () => {
      const cache = tinyCache(8, { gc: { policy, intervalTokens: 1000 } });
      const a = filledSequence(cache, 64, 1); // the whole pool
      const aBlocks = blocksOf(cache, a);
      cache.freeSequence(a);
      cache.step();
      const b = cache.createSequence();
      cache.appendSlots(b, 64);
      const bBlocks = blocksOf(cache, b);
      expect([...bBlocks].sort()).toEqual([...aBlocks].sort()); // same physical blocks…
      expect(anyData(cache, bBlocks)).toBe(false); // …no data
      cache.checkInvariants();
    });

    it(`${policy}: a block evicted from the prefix cache under pressure reaches B zeroed`, () => {
      const cache = tinyCache(4, { gc: { policy, intervalTokens: 1000 } });
      const a = filledSequence(cache, 32, 1, range(1, 32)); // 4 full blocks, all registered
      const aBlocks = blocksOf(cache, a);
      cache.freeSequence(a);
      expect(cache.stats().blocksCached).toBe(4);
      const b = cache.createSequence({ promptTokens: range(500, 32) }); // no prefix in common
      cache.appendSlots(b, 32);
      const bBlocks = blocksOf(cache, b);
      expect([...bBlocks].sort()).toEqual([...aBlocks].sort());
      expect(anyData(cache, bBlocks)).toBe(false);
      expect(cache.stats().evictions).toBe(4);
      cache.checkInvariants();
    });

    it(`${policy}: the prefix cache still hands over the K/V of the tokens asked for`, () => {
      const cache = tinyCache(8, { gc: { policy } });
      const prompt = range(1, 20);
      const a = filledSequence(cache, 20, 1, prompt);
      cache.freeSequence(a);
      const b = cache.createSequence({ promptTokens: prompt });
      expect(cache.sequenceLength(b)).toBe(16);
      for (let p = 0; p < 16; p++) expect(holdsToken(cache, b, p, 1 + p)).toBe(true);
      cache.checkInvariants();
    });
  }

  it("off: defers each scrub to the block's reuse (nothing is scrubbed at free time)", () => {
    const cache = tinyCache(4, { gc: { policy: 'off' }, prefixCaching: false });
    const a = filledSequence(cache, 16, 1);
    const aBlocks = blocksOf(cache, a);
    cache.freeSequence(a);
    cache.step();
    cache.collect();
    expect(anyData(cache, aBlocks)).toBe(true); // still there while free: no pause at free time
    const b = cache.createSequence();
    cache.appendSlots(b, 8); // takes one of them
    expect(anyData(cache, blocksOf(cache, b))).toBe(false);
    const g = cache.stats().gc;
    expect(g.lazyScrubs).toBe(1);
    expect(g.blocksScrubbed).toBe(0); // the collector's count: it did nothing
    cache.checkInvariants();
  });
});

describe('PagedKVCache.audit', () => {
  it('counts where every block is, and nothing leaked once every sequence ended', () => {
    const cache = tinyCache(8, { swapBytes: 4 * 512 });
    const a = filledSequence(cache, 20, 1, range(1, 20)); // 3 blocks, 2 registered
    const b = filledSequence(cache, 9, 1); // 2 blocks
    const c = filledSequence(cache, 8, 1); // 1 block, swapped out
    cache.swapOut(c);
    let audit = cache.audit();
    expect(audit).toEqual({
      liveSequences: 3, blocksHeld: 5, blocksFree: 3, blocksAwaitingScrub: 0, blocksCached: 0,
      blocksLeaked: 0, swapSlotsLeaked: 0, invariantViolation: undefined,
    });
    for (const s of [a, b, c]) cache.freeSequence(s);
    audit = cache.audit();
    expect(audit).toEqual({
      liveSequences: 0, blocksHeld: 0, blocksFree: 6, blocksAwaitingScrub: 0, blocksCached: 2,
      blocksLeaked: 0, swapSlotsLeaked: 0, invariantViolation: undefined,
    });
  });

  it('reports a block lost to the pool instead of throwing', () => {
    const cache = tinyCache(4, { prefixCaching: false });
    const a = filledSequence(cache, 8, 1);
    cache.freeSequence(a);
    // Simulate a bug: a block leaves the free stack for no holder.
    const lost = cache.pool.popFree();
    cache.pool.state[lost] = BLOCK_USED;
    const audit = cache.audit();
    expect(audit.blocksLeaked).toBe(1);
    expect(audit.invariantViolation).toMatch(/block \d+/);
  });
});
