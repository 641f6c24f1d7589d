/**
 * releaseBlocksBefore: a sliding-window layer group gives back the blocks that fell out of the
 * window while the sequence goes on, with every later position where it was.
 */
import { describe, expect, it } from 'vitest';
import { KVPositionError } from '../src/index.js';
import { holdsToken, tinyCache, writeToken } from './helpers.js';

function clean(cache: ReturnType<typeof tinyCache>): void {
  const a = cache.audit();
  expect(a.invariantViolation).toBeUndefined();
  expect(a.blocksLeaked).toBe(0);
}

describe('releaseBlocksBefore', () => {
  it('frees whole leading blocks only, keeps the length and the offsets of later positions', () => {
    const cache = tinyCache(8, { prefixCaching: false, debug: true });
    const seq = cache.createSequence();
    cache.appendSlots(seq, 29); // blocks 0..3, the last holding 5 tokens
    for (let p = 0; p < 29; p++) writeToken(cache, seq, p, 100 * p);
    const offsets = Array.from({ length: 29 }, (_, p) => cache.slotOffset(seq, p, 1, 'v'));
    expect(cache.releaseBlocksBefore(seq, 7)).toBe(0); // block 0 still holds position 7
    expect(cache.releaseBlocksBefore(seq, 17)).toBe(2);
    expect(cache.releaseBlocksBefore(seq, 17)).toBe(0); // idempotent
    expect(cache.releasedTokens(seq)).toBe(16);
    expect(cache.sequenceLength(seq)).toBe(29);
    expect(cache.stats().blocksUsed).toBe(2);
    expect(Array.from(cache.blockTable(seq).blocks.subarray(0, 2))).toEqual([-1, -1]);
    for (let p = 16; p < 29; p++) {
      expect(cache.slotOffset(seq, p, 1, 'v')).toBe(offsets[p]);
      expect(holdsToken(cache, seq, p, 100 * p)).toBe(true);
    }
    expect(() => cache.slotOffset(seq, 15, 0, 'k')).toThrow(KVPositionError);
    // The partly filled last block is never released, whatever `pos` says.
    expect(cache.releaseBlocksBefore(seq, 1000)).toBe(1);
    expect(cache.releasedTokens(seq)).toBe(24);
    cache.appendSlots(seq, 10);
    writeToken(cache, seq, 38, 7);
    expect(holdsToken(cache, seq, 28, 2800)).toBe(true);
    expect(holdsToken(cache, seq, 38, 7)).toBe(true);
    clean(cache);
    cache.freeSequence(seq);
    clean(cache);
    expect(cache.audit().blocksHeld).toBe(0);
  });

  it('a sequence that releases as it goes holds a bounded number of blocks', () => {
    const cache = tinyCache(4, { prefixCaching: false });
    const seq = cache.createSequence();
    const window = 10;
    for (let p = 0; p < 200; p++) {
      cache.releaseBlocksBefore(seq, p - window + 1);
      cache.appendSlots(seq, 1); // would run out of the 4 blocks without the releases
      expect(cache.blockTable(seq).length - cache.releasedTokens(seq) / 8).toBeLessThanOrEqual(Math.ceil(window / 8) + 1);
    }
    clean(cache);
    cache.freeSequence(seq);
    clean(cache);
  });

  it('cannot truncate into released positions; truncation after them works', () => {
    const cache = tinyCache(8, { prefixCaching: false });
    const seq = cache.createSequence();
    cache.appendSlots(seq, 30);
    cache.releaseBlocksBefore(seq, 16);
    expect(() => cache.truncateSequence(seq, 15)).toThrow(KVPositionError);
    cache.truncateSequence(seq, 20);
    expect(cache.stats().blocksUsed).toBe(1);
    clean(cache);
    cache.freeSequence(seq);
    clean(cache);
  });

  it('forks, swaps out and in, with released entries left out', () => {
    const cache = tinyCache(8, { prefixCaching: false, swapBytes: 8 * 512 });
    const seq = cache.createSequence();
    cache.appendSlots(seq, 30);
    for (let p = 0; p < 30; p++) writeToken(cache, seq, p, p);
    cache.releaseBlocksBefore(seq, 16);
    const child = cache.forkSequence(seq);
    expect(cache.releasedTokens(child)).toBe(16);
    clean(cache);
    cache.freeSequence(child);
    cache.swapOut(seq);
    expect(cache.stats().swap.blocksUsed).toBe(2);
    clean(cache);
    cache.swapIn(seq);
    for (let p = 16; p < 30; p++) expect(holdsToken(cache, seq, p, p)).toBe(true);
    clean(cache);
    cache.freeSequence(seq);
    clean(cache);
    expect(cache.stats().swap.blocksUsed).toBe(0);
  });

  it('with prefix caching, released registered blocks stay cached and the chain stops growing', () => {
    const cache = tinyCache(8);
    const tokens = Array.from({ length: 40 }, (_, i) => i + 1);
    const seq = cache.createSequence();
    cache.appendSlots(seq, 24);
    cache.commitTokens(seq, tokens, 24); // blocks 0..2 registered
    expect(cache.releaseBlocksBefore(seq, 16)).toBe(2);
    expect(cache.stats().blocksCached).toBe(2);
    clean(cache);
    cache.appendSlots(seq, 16);
    cache.commitTokens(seq, tokens, 40);
    // Blocks 3 and 4 extend the chain: their parent, block 2, is still held.
    expect(cache.stats().prefix.registeredBlocks).toBe(5);
    clean(cache);
    cache.freeSequence(seq);
    clean(cache);
    // The prompt's first blocks are still matched from the cache.
    expect(cache.matchPrefix(tokens).blocks).toBeGreaterThanOrEqual(2);
  });
});
