import { describe, expect, it } from 'vitest';
import {
  BLOCK_DIRTY,
  BLOCK_FREE,
  BLOCK_USED,
  BlockPool,
  KVDoubleFreeError,
  KVForeignBlockError,
  KVStorageLayout,
  resolveStorage,
} from '../src/index.js';

function makePool(blocks: number, debug = false): BlockPool {
  const layout = new KVStorageLayout({ layers: 1, kvHeads: 1, headDim: 4, blockSize: 8 }); // 256 bytes
  return new BlockPool(layout, blocks, resolveStorage(undefined, blocks * layout.bytesPerBlock), debug);
}

describe('BlockPool', () => {
  it('hands out the lowest free blocks first, in ascending order', () => {
    const pool = makePool(6);
    expect([pool.popFree(), pool.popFree(), pool.popFree()]).toEqual([0, 1, 2]);
    expect(pool.freeCount).toBe(3);
  });

  it('compacts a scattered free stack back to lowest-first order', () => {
    const pool = makePool(8);
    const taken = Array.from({ length: 8 }, () => pool.popFree());
    for (const b of taken) pool.claim(b);
    for (const b of [6, 1, 4, 3]) {
      pool.release(b);
      pool.pushFree(b);
    }
    expect(pool.freeSorted).toBe(false);
    expect(pool.popFree()).toBe(3); // LIFO before compaction
    pool.pushFree(3);
    pool.rebuildFreeList();
    expect(pool.freeSorted).toBe(true);
    expect([pool.popFree(), pool.popFree(), pool.popFree(), pool.popFree(), pool.popFree()]).toEqual([1, 3, 4, 6, -1]);
  });

  it('counts references and reports the last release', () => {
    const pool = makePool(2);
    const b = pool.popFree();
    pool.claim(b);
    pool.retain(b);
    expect(pool.refcount[b]).toBe(2);
    expect(pool.state[b]).toBe(BLOCK_USED);
    expect(pool.release(b)).toBe(false);
    expect(pool.release(b)).toBe(true);
  });

  it('scrubs, checks and copies whole blocks without touching neighbours', () => {
    const pool = makePool(3);
    const bpb = pool.bytesPerBlock;
    pool.bytes.fill(9);
    pool.scrub(1);
    expect(pool.isZero(1)).toBe(true);
    expect(pool.isZero(0)).toBe(false);
    expect(pool.bytes[bpb - 1]).toBe(9);
    expect(pool.bytes[2 * bpb]).toBe(9);
    pool.bytes[bpb + 17] = 1;
    expect(pool.isZero(1)).toBe(false);
    pool.bytes.fill(5, 0, bpb);
    pool.copyBlock(0, 2);
    expect(pool.bytes.subarray(2 * bpb, 3 * bpb).every((x) => x === 5)).toBe(true);
  });

  it('keeps freed blocks awaiting scrub apart from the free stack', () => {
    const pool = makePool(2);
    const b = pool.popFree();
    pool.claim(b);
    pool.release(b);
    pool.pushDirty(b);
    expect(pool.state[b]).toBe(BLOCK_DIRTY);
    expect(pool.dirtyCount).toBe(1);
    expect(pool.freeCount).toBe(1);
    expect(pool.popDirty()).toBe(b);
    pool.pushFree(b);
    expect(pool.state[b]).toBe(BLOCK_FREE);
  });

  it('in debug mode reports double frees and blocks outside the pool', () => {
    const pool = makePool(2, true);
    const b = pool.popFree();
    pool.claim(b);
    expect(pool.release(b)).toBe(true);
    pool.pushFree(b);
    expect(() => pool.release(b)).toThrow(KVDoubleFreeError);
    expect(() => pool.release(7)).toThrow(KVForeignBlockError);
    expect(() => pool.release(-1)).toThrow(KVForeignBlockError);
    const other = pool.popFree();
    expect(() => pool.release(other)).toThrow(KVDoubleFreeError); // never claimed: held by nobody
  });
});
