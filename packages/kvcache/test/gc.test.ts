import { describe, expect, it } from 'vitest';
import { KVFreeBlockCorruptedError, type GcEvent, type PagedKVCache } from '../src/index.js';
import { blockIsZero, blocksOf, tinyCache, writeToken } from './helpers.js';

function record(cache: PagedKVCache): GcEvent[] {
  const events: GcEvent[] = [];
  cache.onGc((e) => events.push({ ...e }));
  return events;
}

/** Fills every slot of a new sequence of `tokens` tokens with non-zero data. */
function filledSequence(cache: PagedKVCache, tokens: number, value: number): number {
  const seq = cache.createSequence();
  cache.appendSlots(seq, tokens);
  for (let p = 0; p < tokens; p++) writeToken(cache, seq, p, value + p);
  return seq;
}

describe('eager', () => {
  it('scrubs and compacts at free time and emits one event per freeing operation', () => {
    const cache = tinyCache(8, { prefixCaching: false });
    const events = record(cache);
    const a = filledSequence(cache, 20, 1); // blocks 0-2
    const b = filledSequence(cache, 20, 1); // blocks 3-5
    const aBlocks = blocksOf(cache, a);
    cache.freeSequence(a);
    expect(events).toHaveLength(1);
    const e = events[0];
    expect(e).toMatchObject({ policy: 'eager', reason: 'free', blocksScrubbed: 3, bytesScrubbed: 3 * 512, blocksEvicted: 0, blocksVerified: 0 });
    expect(e.freeListCompacted).toBe(true);
    expect(e.durationMs).toBeGreaterThanOrEqual(0);
    expect(e.startTime).toBeLessThanOrEqual(performance.now());
    for (const blk of aBlocks) expect(blockIsZero(cache, blk)).toBe(true);
    expect(cache.stats().blocksAwaitingScrub).toBe(0);
    cache.step();
    expect(events).toHaveLength(1); // decode steps cost nothing
    cache.freeSequence(b);
    const c = cache.createSequence();
    cache.appendSlots(c, 64);
    expect(blocksOf(cache, c)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]); // compacted: contiguous, lowest first
  });

  it('evicts cached blocks beyond the retention limit, least recently used first', () => {
    const cache = tinyCache(8, { gc: { retainCachedBlocks: 1 } });
    const events = record(cache);
    const prompt = Array.from({ length: 25 }, (_, i) => i + 1);
    const a = cache.createSequence({ promptTokens: prompt });
    cache.appendSlots(a, 25);
    cache.commitTokens(a, prompt);
    cache.freeSequence(a);
    expect(cache.stats().blocksCached).toBe(1);
    expect(events.at(-1)).toMatchObject({ blocksEvicted: 2, blocksScrubbed: 3 }); // 2 evicted + the partial tail
    expect(cache.matchPrefix(prompt).blocks).toBe(1); // the first block is the one kept
  });
});

describe('periodic', () => {
  it('holds freed blocks until the sweep every intervalTokens steps, allocating only clean blocks', () => {
    const cache = tinyCache(8, { gc: { policy: 'periodic', intervalTokens: 5 }, prefixCaching: false });
    const events = record(cache);
    const a = filledSequence(cache, 16, 1);
    const aBlocks = blocksOf(cache, a);
    cache.freeSequence(a);
    expect(events).toHaveLength(0);
    expect(cache.stats().blocksAwaitingScrub).toBe(2);
    expect(aBlocks.some((blk) => !blockIsZero(cache, blk))).toBe(true); // not yet scrubbed…
    const b = cache.createSequence();
    cache.appendSlots(b, 8);
    expect(aBlocks).not.toContain(blocksOf(cache, b)[0]); // …so not handed out
    for (let i = 0; i < 4; i++) cache.step();
    expect(events).toHaveLength(0);
    cache.step();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ policy: 'periodic', reason: 'interval', blocksScrubbed: 2, freeListCompacted: true });
    expect(events[0].blocksVerified).toBe(7); // the whole free list is read back
    for (const blk of aBlocks) expect(blockIsZero(cache, blk)).toBe(true);
    for (let i = 0; i < 5; i++) cache.step();
    expect(events).toHaveLength(2); // the next interval sweeps again
  });

  it('sweeps early when usage crosses the watermark and there is work', () => {
    const cache = tinyCache(10, { gc: { policy: 'periodic', intervalTokens: 1000, watermark: 0.5 }, prefixCaching: false });
    const events = record(cache);
    const a = filledSequence(cache, 48, 1); // 6 of 10 blocks
    cache.step();
    expect(events).toHaveLength(0); // above the watermark but nothing to reclaim
    cache.freeSequence(a);
    cache.step();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ reason: 'watermark', blocksScrubbed: 6 });
  });

  it('scrubs on demand when an allocation finds no clean block', () => {
    const cache = tinyCache(4, { gc: { policy: 'periodic', intervalTokens: 1000 }, prefixCaching: false });
    const a = filledSequence(cache, 32, 1);
    cache.freeSequence(a);
    const b = cache.createSequence();
    cache.appendSlots(b, 24);
    for (const blk of blocksOf(cache, b)) expect(blockIsZero(cache, blk)).toBe(true);
    expect(cache.stats().gc.onDemandScrubs).toBe(3);
    expect(cache.stats().blocksAwaitingScrub).toBe(1);
    cache.checkInvariants();
  });

  it('verifies free blocks and scrubs one written after its free (debug: throws)', () => {
    for (const debug of [false, true]) {
      const cache = tinyCache(4, { gc: { policy: 'periodic', intervalTokens: 1000 }, debug, prefixCaching: false });
      const a = filledSequence(cache, 8, 1);
      const stale = cache.slotOffset(a, 3, 1, 'v');
      cache.freeSequence(a);
      cache.collect();
      cache.f32[stale] = 123; // a kernel writing through a stale table
      if (debug) {
        expect(() => cache.collect()).toThrow(KVFreeBlockCorruptedError);
      } else {
        cache.collect();
        expect(cache.stats().gc.corruptBlocksFound).toBe(1);
        expect(cache.f32[stale]).toBe(0);
      }
    }
  });
});

describe('incremental', () => {
  it('scrubs in slices bounded by the block budget', () => {
    const cache = tinyCache(12, { gc: { policy: 'incremental', intervalTokens: 1000, budget: { blocks: 2, microseconds: 1e6 } }, prefixCaching: false });
    const events = record(cache);
    const a = filledSequence(cache, 40, 1); // 5 blocks
    cache.freeSequence(a);
    cache.step();
    cache.step();
    cache.step();
    expect(events.map((e) => e.blocksScrubbed)).toEqual([2, 2, 1]);
    expect(events.every((e) => e.policy === 'incremental' && e.reason === 'slice')).toBe(true);
    cache.step();
    expect(events).toHaveLength(3); // nothing left to do
    expect(cache.stats().blocksAwaitingScrub).toBe(0);
  });

  it('stops a slice at the time budget but always makes progress', () => {
    const cache = tinyCache(12, { gc: { policy: 'incremental', budget: { blocks: 100, microseconds: 0.001 } }, prefixCaching: false });
    const events = record(cache);
    const a = filledSequence(cache, 40, 1);
    cache.freeSequence(a);
    for (let i = 0; i < 5; i++) cache.step();
    expect(events.map((e) => e.blocksScrubbed)).toEqual([1, 1, 1, 1, 1]);
  });

  it('verifies the free list over several slices after each interval and then compacts it', () => {
    const cache = tinyCache(8, { gc: { policy: 'incremental', intervalTokens: 3, budget: { blocks: 3, microseconds: 1e6 } }, prefixCaching: false });
    const events = record(cache);
    const a = filledSequence(cache, 24, 1); // blocks 0-2
    const b = filledSequence(cache, 8, 1); // block 3
    cache.freeSequence(a);
    cache.step(); // scrubs 3 (unsorted free stack now)
    cache.step(); // nothing
    cache.step(); // interval reached: pass starts, verifies blocks 0..2
    cache.step(); // verifies 4..6
    cache.step(); // verifies 7, pass ends → compacts
    expect(events.map((e) => [e.blocksScrubbed, e.blocksVerified, e.freeListCompacted])).toEqual([
      [3, 0, false],
      [0, 3, false],
      [0, 3, false],
      [0, 1, true],
    ]);
    const c = cache.createSequence();
    cache.appendSlots(c, 16);
    expect(blocksOf(cache, c)).toEqual([0, 1]);
    cache.freeSequence(b);
  });
});

describe('events', () => {
  it('unsubscribes listeners', () => {
    const cache = tinyCache(4, { prefixCaching: false });
    let calls = 0;
    const off = cache.onGc(() => calls++);
    cache.freeSequence(filledSequence(cache, 8, 1));
    off();
    cache.freeSequence(filledSequence(cache, 8, 1));
    expect(calls).toBe(1);
    expect(cache.stats().gc.cycles).toBe(2);
  });
});
