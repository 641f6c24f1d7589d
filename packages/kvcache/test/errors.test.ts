import { describe, expect, it } from 'vitest';
import {
  KVCacheError,
  KVDoubleFreeError,
  KVForeignBlockError,
  KVInvalidSequenceError,
  KVInvariantError,
  KVUseAfterFreeError,
} from '../src/index.js';
import { TINY_BLOCK_BYTES, tinyCache } from './helpers.js';

describe('misuse is caught with typed errors', () => {
  it('double free of a sequence', () => {
    const cache = tinyCache(4, { debug: true });
    const a = cache.createSequence();
    cache.appendSlots(a, 3);
    cache.freeSequence(a);
    const error = (() => {
      try {
        cache.freeSequence(a);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(KVDoubleFreeError);
    expect(error).toBeInstanceOf(KVCacheError);
    expect((error as KVDoubleFreeError).what).toBe('sequence');
    expect((error as KVDoubleFreeError).code).toBe('KV_DOUBLE_FREE');
    cache.checkInvariants(); // the failed free changed nothing
  });

  it('use after free, even once the slot belongs to a new sequence', () => {
    const cache = tinyCache(4, { debug: true, swapBytes: 4 * TINY_BLOCK_BYTES });
    const a = cache.createSequence();
    cache.appendSlots(a, 3);
    cache.freeSequence(a);
    const b = cache.createSequence(); // reuses a's slot
    cache.appendSlots(b, 2);
    expect(b).not.toBe(a);
    expect(() => cache.slotOffset(a, 0, 0, 'k')).toThrow(KVUseAfterFreeError);
    expect(() => cache.appendSlots(a, 1)).toThrow(KVUseAfterFreeError);
    expect(() => cache.blockTable(a)).toThrow(KVUseAfterFreeError);
    expect(() => cache.forkSequence(a)).toThrow(KVUseAfterFreeError);
    expect(() => cache.commitTokens(a, [1])).toThrow(KVUseAfterFreeError);
    expect(() => cache.prepareWrite(a, 0)).toThrow(KVUseAfterFreeError);
    expect(() => cache.swapOut(a)).toThrow(KVUseAfterFreeError);
    expect(() => cache.sequenceLength(a)).toThrow(KVUseAfterFreeError);
    expect(cache.sequenceLength(b)).toBe(2); // b is untouched
    cache.checkInvariants();
  });

  it('ids this cache never issued', () => {
    const cache = tinyCache(4);
    cache.createSequence();
    for (const bad of [-1, 1.5, 12345, Number.NaN, 2 ** 40]) {
      expect(() => cache.appendSlots(bad, 1)).toThrow(KVInvalidSequenceError);
    }
  });

  it('freeing a foreign block: a table entry overwritten from outside (debug)', () => {
    const cache = tinyCache(6, { debug: true });
    const a = cache.createSequence();
    const b = cache.createSequence();
    cache.appendSlots(a, 8);
    cache.appendSlots(b, 8);
    const bBlock = cache.blockTable(b).blocks[0];
    cache.blockTable(a).blocks[0] = bBlock; // a now claims b's block
    let error: unknown;
    try {
      cache.freeSequence(a);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KVForeignBlockError);
    expect((error as KVForeignBlockError).block).toBe(bBlock);
    expect(cache.refcountOf(bBlock)).toBe(1); // b's block was not released
  });

  it('freeing a block nobody holds or outside the pool (debug)', () => {
    const cache = tinyCache(4, { debug: true });
    expect(() => cache.pool.release(3)).toThrow(KVDoubleFreeError);
    expect(() => cache.pool.release(99)).toThrow(KVForeignBlockError);
  });

  it('checkInvariants detects corrupted bookkeeping', () => {
    const cache = tinyCache(4);
    const a = cache.createSequence();
    cache.appendSlots(a, 8);
    cache.checkInvariants();
    cache.pool.refcount[cache.blockTable(a).blocks[0]] = 2;
    expect(() => cache.checkInvariants()).toThrow(KVInvariantError);
  });
});
