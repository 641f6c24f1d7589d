import { describe, expect, it } from 'vitest';
import { KVCacheOutOfBlocksError, KVSequenceStateError, KVSwapSpaceFullError } from '../src/index.js';
import { TINY_BLOCK_BYTES, blocksOf, holdsToken, tinyCache, writeToken } from './helpers.js';

describe('swap', () => {
  it('moves a sequence to host memory and back into different blocks with its data intact', () => {
    const cache = tinyCache(4, { swapBytes: 4 * TINY_BLOCK_BYTES, prefixCaching: false });
    const a = cache.createSequence();
    cache.appendSlots(a, 13);
    for (let p = 0; p < 13; p++) writeToken(cache, a, p, p + 1);
    const original = blocksOf(cache, a);
    cache.swapOut(a);
    expect(cache.isSwapped(a)).toBe(true);
    expect(cache.stats().swap).toMatchObject({ blocksUsed: 2, bytesUsed: 2 * TINY_BLOCK_BYTES, blocksTotal: 4, swapOuts: 1 });
    expect(cache.availableBlocks()).toBe(4);
    // Someone else takes the freed blocks meanwhile.
    const b = cache.createSequence();
    cache.appendSlots(b, 9);
    writeToken(cache, b, 0, 777);
    cache.swapIn(a);
    expect(cache.isSwapped(a)).toBe(false);
    const now = blocksOf(cache, a);
    expect(now).toHaveLength(2);
    expect(now.some((blk, i) => blk !== original[i])).toBe(true);
    for (let p = 0; p < 13; p++) expect(holdsToken(cache, a, p, p + 1)).toBe(true);
    expect(holdsToken(cache, b, 0, 777)).toBe(true);
    expect(cache.stats().swap.blocksUsed).toBe(0);
    cache.appendSlots(a, 1); // usable as before
    expect(cache.sequenceLength(a)).toBe(14);
    cache.checkInvariants();
  });

  it('throws KVSwapSpaceFullError with requested and free, leaving the sequence resident', () => {
    const cache = tinyCache(8, { swapBytes: 2 * TINY_BLOCK_BYTES });
    const a = cache.createSequence();
    cache.appendSlots(a, 20);
    let error: unknown;
    try {
      cache.swapOut(a);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KVSwapSpaceFullError);
    expect((error as KVSwapSpaceFullError).requested).toBe(3);
    expect((error as KVSwapSpaceFullError).free).toBe(2);
    expect(cache.isSwapped(a)).toBe(false);
    cache.checkInvariants();
    const none = tinyCache(2);
    const s = none.createSequence();
    none.appendSlots(s, 1);
    expect(() => none.swapOut(s)).toThrow(KVSwapSpaceFullError);
  });

  it('swapIn fails cleanly when the pool cannot take the blocks back', () => {
    const cache = tinyCache(3, { swapBytes: 3 * TINY_BLOCK_BYTES, prefixCaching: false });
    const a = cache.createSequence();
    cache.appendSlots(a, 16);
    cache.swapOut(a);
    const b = cache.createSequence();
    cache.appendSlots(b, 16);
    expect(() => cache.swapIn(a)).toThrow(KVCacheOutOfBlocksError);
    expect(cache.isSwapped(a)).toBe(true);
    cache.freeSequence(b);
    cache.swapIn(a);
    cache.checkInvariants();
  });

  it('rejects resident-only operations on a swapped sequence and frees its swap space', () => {
    const cache = tinyCache(4, { swapBytes: 4 * TINY_BLOCK_BYTES });
    const a = cache.createSequence();
    cache.appendSlots(a, 9);
    cache.swapOut(a);
    expect(() => cache.appendSlots(a, 1)).toThrow(KVSequenceStateError);
    expect(() => cache.blockTable(a)).toThrow(KVSequenceStateError);
    expect(() => cache.forkSequence(a)).toThrow(KVSequenceStateError);
    expect(() => cache.swapOut(a)).toThrow(KVSequenceStateError);
    cache.freeSequence(a);
    expect(cache.stats().swap.blocksUsed).toBe(0);
    const b = cache.createSequence();
    expect(() => cache.swapIn(b)).toThrow(KVSequenceStateError);
    cache.checkInvariants();
  });

  it('takes still-cached prefix blocks back without copying', () => {
    const cache = tinyCache(6, { swapBytes: 6 * TINY_BLOCK_BYTES });
    const prompt = Array.from({ length: 20 }, (_, i) => i + 1);
    const a = cache.createSequence({ promptTokens: prompt });
    cache.appendSlots(a, 20);
    for (let p = 0; p < 20; p++) writeToken(cache, a, p, p + 1);
    cache.commitTokens(a, prompt);
    const before = blocksOf(cache, a);
    cache.swapOut(a);
    cache.swapIn(a);
    const after = blocksOf(cache, a);
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2)); // registered blocks came back as they were
    expect(cache.stats().swap.blocksReclaimed).toBe(2);
    for (let p = 0; p < 20; p++) expect(holdsToken(cache, a, p, p + 1)).toBe(true);
    // The chain is intact: the next full block is registered too.
    cache.appendSlots(a, 4);
    cache.commitTokens(a, [...prompt, 21, 22, 23, 24]);
    expect(cache.matchPrefix([...prompt, 21, 22, 23, 24]).blocks).toBe(3);
    cache.checkInvariants();
  });

  it('copies prefix blocks back when they were evicted while swapped out', () => {
    const cache = tinyCache(4, { swapBytes: 4 * TINY_BLOCK_BYTES });
    const prompt = Array.from({ length: 16 }, (_, i) => i + 1);
    const a = cache.createSequence({ promptTokens: prompt });
    cache.appendSlots(a, 16);
    for (let p = 0; p < 16; p++) writeToken(cache, a, p, p + 1);
    cache.commitTokens(a, prompt);
    cache.swapOut(a);
    const hog = cache.createSequence();
    cache.appendSlots(hog, 32); // evicts both cached blocks
    for (let p = 0; p < 32; p++) writeToken(cache, hog, p, 9000 + p);
    cache.freeSequence(hog);
    cache.swapIn(a);
    expect(cache.stats().swap.blocksReclaimed).toBe(0);
    for (let p = 0; p < 16; p++) expect(holdsToken(cache, a, p, p + 1)).toBe(true);
    cache.checkInvariants();
  });
});
