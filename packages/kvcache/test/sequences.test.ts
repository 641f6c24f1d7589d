import { describe, expect, it } from 'vitest';
import { BLOCK_USED, KVCacheOutOfBlocksError, KVPositionError, createKVCacheStats } from '../src/index.js';
import { blocksOf, holdsToken, tinyCache, writeToken } from './helpers.js';

describe('block tables', () => {
  it('allocates blocks on demand as tokens are appended', () => {
    const cache = tinyCache(8, { prefixCaching: false });
    const seq = cache.createSequence();
    expect(cache.blockTable(seq).length).toBe(0);
    cache.appendSlots(seq, 1);
    expect(blocksOf(cache, seq)).toEqual([0]);
    cache.appendSlots(seq, 7); // fills block 0 exactly
    expect(blocksOf(cache, seq)).toEqual([0]);
    cache.appendSlots(seq, 1);
    expect(blocksOf(cache, seq)).toEqual([0, 1]);
    cache.appendSlots(seq, 20); // 29 tokens → 4 blocks
    expect(blocksOf(cache, seq)).toEqual([0, 1, 2, 3]);
    expect(cache.sequenceLength(seq)).toBe(29);
    expect(cache.blockTable(seq).tokens).toBe(29);
  });

  it('maps positions to slots of the table blocks', () => {
    const cache = tinyCache(8);
    const a = cache.createSequence();
    const b = cache.createSequence();
    cache.appendSlots(a, 5);
    cache.appendSlots(b, 12);
    cache.appendSlots(a, 10);
    const { layout } = cache;
    const table = blocksOf(cache, a);
    for (let pos = 0; pos < 15; pos++) {
      for (let layer = 0; layer < 2; layer++) {
        const block = table[Math.floor(pos / 8)];
        const expected = block * layout.blockElements + layer * 2 * 8 * 4 + (pos % 8) * 4;
        expect(cache.slotOffset(a, pos, layer, 'k')).toBe(expected);
        expect(cache.slotOffset(a, pos, layer, 'v')).toBe(expected + 8 * 4);
      }
    }
  });

  it('keeps each sequence’s data apart', () => {
    const cache = tinyCache(8);
    const seqs = [cache.createSequence(), cache.createSequence(), cache.createSequence()];
    for (let step = 0; step < 12; step++) {
      for (const [i, s] of seqs.entries()) {
        cache.appendSlots(s, 1);
        writeToken(cache, s, step, 100 * i + step + 1);
      }
    }
    for (const [i, s] of seqs.entries()) for (let p = 0; p < 12; p++) expect(holdsToken(cache, s, p, 100 * i + p + 1)).toBe(true);
  });

  it('frees blocks when the sequence ends and reuses them', () => {
    const cache = tinyCache(4, { prefixCaching: false });
    const a = cache.createSequence();
    cache.appendSlots(a, 30);
    expect(cache.availableBlocks()).toBe(0);
    cache.freeSequence(a);
    expect(cache.availableBlocks()).toBe(4);
    const b = cache.createSequence();
    cache.appendSlots(b, 32);
    expect(blocksOf(cache, b).sort()).toEqual([0, 1, 2, 3]);
    cache.checkInvariants();
  });

  it('throws KVCacheOutOfBlocksError with requested and free, changing nothing', () => {
    const cache = tinyCache(4);
    const a = cache.createSequence();
    cache.appendSlots(a, 20); // 3 blocks
    const before = cache.stats();
    let error: unknown;
    try {
      cache.appendSlots(a, 13); // 33 tokens → 5 blocks: 2 more, 1 free
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KVCacheOutOfBlocksError);
    const oob = error as KVCacheOutOfBlocksError;
    expect(oob.requested).toBe(2);
    expect(oob.free).toBe(1);
    expect(oob.message).toMatch(/requested 2 .* only 1 free/);
    expect(cache.sequenceLength(a)).toBe(20);
    expect(cache.stats()).toEqual(before);
    cache.appendSlots(a, 12); // 32 tokens: exactly 4 blocks still fits
    expect(cache.blockTable(a).length).toBe(4);
  });

  it('reports blocks needed and available for scheduling', () => {
    const cache = tinyCache(6);
    const a = cache.createSequence();
    expect(cache.blocksNeeded(a, 17)).toBe(3);
    cache.appendSlots(a, 3);
    expect(cache.blocksNeeded(a, 5)).toBe(0);
    expect(cache.blocksNeeded(a, 6)).toBe(1);
    const f = cache.forkSequence(a);
    expect(cache.blocksNeeded(f, 1)).toBe(1); // copy-on-write of the shared partial block
    expect(cache.availableBlocks()).toBe(5);
  });

  it('rejects positions outside the sequence on checked paths', () => {
    const cache = tinyCache(4, { debug: true });
    const a = cache.createSequence();
    cache.appendSlots(a, 3);
    expect(() => cache.slotOffset(a, 3, 0, 'k')).toThrow(KVPositionError);
    expect(() => cache.slotOffset(a, -1, 0, 'k')).toThrow(KVPositionError);
    expect(() => cache.prepareWrite(a, 5)).toThrow(KVPositionError);
    expect(() => cache.commitTokens(a, [1, 2, 3, 4])).toThrow(KVPositionError);
    expect(() => cache.appendSlots(a, -1)).toThrow(RangeError);
  });
});

describe('fork and copy-on-write', () => {
  it('shares blocks and counts references', () => {
    const cache = tinyCache(8);
    const a = cache.createSequence();
    cache.appendSlots(a, 12);
    const f = cache.forkSequence(a);
    expect(blocksOf(cache, f)).toEqual(blocksOf(cache, a));
    for (const b of blocksOf(cache, a)) {
      expect(cache.refcountOf(b)).toBe(2);
      expect(cache.blockState(b)).toBe(BLOCK_USED);
    }
    expect(cache.sequenceLength(f)).toBe(12);
    cache.checkInvariants();
  });

  it('copies a shared partial block before appending into it, keeping both histories', () => {
    const cache = tinyCache(8);
    const a = cache.createSequence();
    cache.appendSlots(a, 11);
    for (let p = 0; p < 11; p++) writeToken(cache, a, p, p + 1);
    const f = cache.forkSequence(a);
    const shared = blocksOf(cache, a);
    cache.appendSlots(f, 1);
    writeToken(cache, f, 11, 500);
    cache.appendSlots(a, 1);
    writeToken(cache, a, 11, 600);
    const fb = blocksOf(cache, f);
    const ab = blocksOf(cache, a);
    expect(fb[0]).toBe(shared[0]); // full block stays shared
    expect(ab[0]).toBe(shared[0]);
    expect(cache.refcountOf(shared[0])).toBe(2);
    expect(fb[1]).not.toBe(shared[1]); // the fork copied the partial block
    expect(ab[1]).toBe(shared[1]); // the parent, now its only holder, writes in place
    expect(cache.refcountOf(ab[1])).toBe(1);
    for (let p = 0; p < 11; p++) {
      expect(holdsToken(cache, a, p, p + 1)).toBe(true);
      expect(holdsToken(cache, f, p, p + 1)).toBe(true);
    }
    expect(holdsToken(cache, f, 11, 500)).toBe(true);
    expect(holdsToken(cache, a, 11, 600)).toBe(true);
    expect(cache.stats().copyOnWrites).toBe(1);
    cache.checkInvariants();
  });

  it('prepareWrite copies a shared block and says so; an unshared block is written in place', () => {
    const cache = tinyCache(8, { prefixCaching: false });
    const a = cache.createSequence();
    cache.appendSlots(a, 16);
    for (let p = 0; p < 16; p++) writeToken(cache, a, p, p + 1);
    const f = cache.forkSequence(a);
    expect(cache.prepareWrite(f, 3)).toBe(true);
    writeToken(cache, f, 3, 999);
    expect(holdsToken(cache, a, 3, 4)).toBe(true);
    expect(holdsToken(cache, f, 3, 999)).toBe(true);
    expect(holdsToken(cache, f, 4, 5)).toBe(true); // the rest of the block was copied
    expect(cache.prepareWrite(f, 5)).toBe(false); // now private
    expect(cache.prepareWrite(a, 3)).toBe(false); // the parent is the block's only holder again
    expect(cache.prepareWrite(f, 9)).toBe(true); // second block still shared
    cache.checkInvariants();
  });

  it('copy-on-write needs a free block and reports when there is none', () => {
    const cache = tinyCache(2);
    const a = cache.createSequence();
    cache.appendSlots(a, 12);
    const f = cache.forkSequence(a);
    expect(() => cache.appendSlots(f, 1)).toThrow(KVCacheOutOfBlocksError);
    expect(() => cache.prepareWrite(f, 0)).toThrow(KVCacheOutOfBlocksError);
    cache.freeSequence(a);
    cache.appendSlots(f, 1); // sole holder now: no copy needed
    expect(cache.stats(createKVCacheStats()).copyOnWrites).toBe(0);
  });

  it('frees shared blocks only when the last holder ends', () => {
    const cache = tinyCache(4, { prefixCaching: false });
    const a = cache.createSequence();
    cache.appendSlots(a, 16);
    const f = cache.forkSequence(a);
    cache.freeSequence(a);
    expect(cache.stats().blocksUsed).toBe(2);
    for (const b of blocksOf(cache, f)) expect(cache.refcountOf(b)).toBe(1);
    cache.freeSequence(f);
    expect(cache.stats().blocksUsed).toBe(0);
    expect(cache.availableBlocks()).toBe(4);
  });
});

describe('truncation', () => {
  it('releases blocks past the new end and zeroes the dropped slots of the kept block', () => {
    const cache = tinyCache(8, { prefixCaching: false });
    const a = cache.createSequence();
    cache.appendSlots(a, 20);
    for (let p = 0; p < 20; p++) writeToken(cache, a, p, p + 1);
    const before = blocksOf(cache, a);
    cache.truncateSequence(a, 10);
    expect(cache.sequenceLength(a)).toBe(10);
    expect(blocksOf(cache, a)).toEqual(before.slice(0, 2));
    expect(cache.stats().blocksUsed).toBe(2);
    expect(cache.stats().slotsFilled).toBe(10);
    for (let p = 0; p < 10; p++) expect(holdsToken(cache, a, p, p + 1)).toBe(true);
    cache.appendSlots(a, 6);
    for (let p = 10; p < 16; p++) expect(holdsToken(cache, a, p, 0)).toBe(false);
    for (let p = 10; p < 16; p++) {
      const off = cache.slotOffset(a, p, 1, 'v');
      expect(Array.from(cache.f32.subarray(off, off + 4))).toEqual([0, 0, 0, 0]);
    }
    cache.checkInvariants();
  });

  it('leaves a shared block to its other holder and copies it on the next append', () => {
    const cache = tinyCache(8, { prefixCaching: false });
    const a = cache.createSequence();
    cache.appendSlots(a, 12);
    for (let p = 0; p < 12; p++) writeToken(cache, a, p, p + 1);
    const f = cache.forkSequence(a);
    cache.truncateSequence(f, 9);
    cache.appendSlots(f, 1);
    expect(blocksOf(cache, f)[1]).not.toBe(blocksOf(cache, a)[1]);
    const off = cache.slotOffset(f, 9, 0, 'k');
    expect(cache.f32[off]).toBe(0); // the parent's token 9 did not leak into the copy
    for (let p = 0; p < 12; p++) expect(holdsToken(cache, a, p, p + 1)).toBe(true);
    expect(() => cache.truncateSequence(f, 11)).toThrow(KVPositionError);
    cache.checkInvariants();
  });

  it('a truncated registered block leaves the prefix cache', () => {
    const cache = tinyCache(8);
    const tokens = Array.from({ length: 16 }, (_, i) => i + 1);
    const a = cache.createSequence();
    cache.appendSlots(a, 16);
    cache.commitTokens(a, tokens);
    expect(cache.matchPrefix(tokens).blocks).toBe(2);
    cache.truncateSequence(a, 12);
    expect(cache.committedTokens(a)).toBe(12);
    expect(cache.matchPrefix(tokens).blocks).toBe(1);
    cache.checkInvariants();
  });
});
