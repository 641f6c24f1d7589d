import { describe, expect, it } from 'vitest';
import { createKVCacheStats } from '../src/index.js';
import { TINY_BLOCK_BYTES, tinyCache } from './helpers.js';

describe('stats', () => {
  it('counts blocks, utilisation and internal fragmentation', () => {
    const cache = tinyCache(10, { swapBytes: 3 * TINY_BLOCK_BYTES });
    const a = cache.createSequence();
    const b = cache.createSequence();
    cache.appendSlots(a, 9); // 2 blocks, 9 of 16 slots
    cache.appendSlots(b, 24); // 3 blocks, full
    const s = cache.stats();
    expect(s).toMatchObject({
      blockSize: 8,
      bytesPerBlock: TINY_BLOCK_BYTES,
      blocksTotal: 10,
      blocksUsed: 5,
      blocksCached: 0,
      blocksFree: 5,
      blocksAwaitingScrub: 0,
      slotsAllocated: 40,
      slotsFilled: 33,
      sequencesResident: 2,
      sequencesSwapped: 0,
    });
    expect(s.utilization).toBeCloseTo(0.5);
    expect(s.internalFragmentation).toBeCloseTo(7 / 40);
    expect(s.swap).toMatchObject({ blocksTotal: 3, bytesTotal: 3 * TINY_BLOCK_BYTES, blocksUsed: 0 });
    expect(s.gc.policy).toBe('eager');
  });

  it('counts a shared block once, at the fill of its fullest holder', () => {
    const cache = tinyCache(10);
    const a = cache.createSequence();
    cache.appendSlots(a, 5);
    const f = cache.forkSequence(a);
    let s = cache.stats();
    expect([s.blocksUsed, s.slotsAllocated, s.slotsFilled]).toEqual([1, 8, 5]);
    cache.appendSlots(f, 1); // copy-on-write: two blocks, 5 + 6 slots filled
    s = cache.stats();
    expect([s.blocksUsed, s.slotsAllocated, s.slotsFilled]).toEqual([2, 16, 11]);
    cache.freeSequence(a);
    s = cache.stats();
    expect([s.blocksUsed, s.slotsFilled, s.internalFragmentation]).toEqual([1, 6, 2 / 8]);
  });

  it('fills a preallocated object in place', () => {
    const cache = tinyCache(4);
    const out = createKVCacheStats();
    const { prefix, swap, gc } = out;
    const a = cache.createSequence();
    cache.appendSlots(a, 3);
    expect(cache.stats(out)).toBe(out);
    expect(out.prefix).toBe(prefix);
    expect(out.swap).toBe(swap);
    expect(out.gc).toBe(gc);
    expect(out.blocksUsed).toBe(1);
    cache.freeSequence(a);
    cache.stats(out);
    expect(out.blocksUsed).toBe(0);
    expect(out.gc.cycles).toBe(1);
    expect(out.internalFragmentation).toBe(0);
  });

  it('reports swap usage while a sequence is swapped out', () => {
    const cache = tinyCache(4, { swapBytes: 4 * TINY_BLOCK_BYTES });
    const a = cache.createSequence();
    cache.appendSlots(a, 17);
    cache.swapOut(a);
    const s = cache.stats();
    expect(s.swap).toMatchObject({ blocksUsed: 3, bytesUsed: 3 * TINY_BLOCK_BYTES, swapOuts: 1, swapIns: 0 });
    expect(s.sequencesSwapped).toBe(1);
    expect(s.blocksUsed).toBe(0);
    cache.swapIn(a);
    expect(cache.stats().swap).toMatchObject({ blocksUsed: 0, swapIns: 1 });
  });
});
