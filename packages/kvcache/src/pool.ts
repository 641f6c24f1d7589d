/**
 * The block pool: the physical blocks over the storage region and their bookkeeping, all in typed
 * arrays (refcounts, states, an integer free stack and a queue of blocks awaiting scrub) so that
 * allocating and freeing create no JavaScript objects.
 *
 * The pool knows nothing about sequences, hashes or policies: the cache decides where a block
 * goes when its last reference is dropped, and the garbage collector decides when it is scrubbed.
 */
import { KVDoubleFreeError, KVForeignBlockError } from './errors.js';
import type { KVStorageLayout } from './layout.js';
import type { KVStorage } from './storage.js';

/**
 * On the free stack, ready to hand out: scrubbed, except under the GC policy 'off', where a freed
 * block is marked `stale` instead and scrubbed when an allocation takes it.
 */
export const BLOCK_FREE = 0;
/** Freed, waiting to be scrubbed before it may be handed out again. */
export const BLOCK_DIRTY = 1;
/** Referenced by at least one sequence (refcount ≥ 1). */
export const BLOCK_USED = 2;
/** Unreferenced but kept for prefix reuse: in the prefix cache's LRU list. */
export const BLOCK_CACHED = 3;

/** One of BLOCK_FREE, BLOCK_DIRTY, BLOCK_USED, BLOCK_CACHED. */
export type BlockState = 0 | 1 | 2 | 3;

export class BlockPool {
  readonly layout: KVStorageLayout;
  /** Number of physical blocks. */
  readonly capacity: number;
  readonly bytesPerBlock: number;
  /** The storage region as bytes (scrub = fill, copy-on-write = copyWithin). */
  readonly bytes: Uint8Array;
  /** The storage region as 32-bit words, for exact zero checks. */
  private readonly words: Int32Array;
  private readonly wordsPerBlock: number;
  /** References to each block from block tables. */
  readonly refcount: Int32Array;
  /** BlockState of each block. */
  readonly state: Uint8Array;
  /** Token slots in use in each used block (the highest any holder reserved). */
  readonly fill: Uint8Array;
  /** 1 for a free block that still holds a former sequence's data ('off' only; see pushFreeStale). */
  readonly stale: Uint8Array;
  /** Free blocks; the top of the stack (highest index) is handed out first. */
  private readonly freeStack: Int32Array;
  private freeTop = 0;
  private readonly dirtyStack: Int32Array;
  private dirtyTop = 0;
  /** Whether the free stack is in compacted order (lowest block on top). */
  freeSorted = true;
  private readonly debug: boolean;

  constructor(layout: KVStorageLayout, capacity: number, storage: KVStorage, debug = false) {
    this.layout = layout;
    this.capacity = capacity;
    this.bytesPerBlock = layout.bytesPerBlock;
    this.debug = debug;
    const byteLength = capacity * layout.bytesPerBlock;
    this.bytes = new Uint8Array(storage.buffer, storage.byteOffset, byteLength);
    this.words = new Int32Array(storage.buffer, storage.byteOffset, byteLength >> 2);
    this.wordsPerBlock = layout.bytesPerBlock >> 2;
    if (!storage.zeroed) this.bytes.fill(0);
    this.refcount = new Int32Array(capacity);
    this.state = new Uint8Array(capacity);
    this.fill = new Uint8Array(capacity);
    this.stale = new Uint8Array(capacity);
    this.freeStack = new Int32Array(capacity);
    this.dirtyStack = new Int32Array(capacity);
    this.rebuildFreeList();
  }

  /** Blocks on the free stack. */
  get freeCount(): number {
    return this.freeTop;
  }

  /** Freed blocks waiting for a scrub. */
  get dirtyCount(): number {
    return this.dirtyTop;
  }

  /** Takes a block off the free stack (lowest first after a compaction); -1 when empty. */
  popFree(): number {
    return this.freeTop === 0 ? -1 : this.freeStack[--this.freeTop];
  }

  /** Puts an unreferenced block on the free stack. */
  pushFree(block: number): void {
    this.state[block] = BLOCK_FREE;
    this.freeStack[this.freeTop++] = block;
    this.freeSorted = false;
  }

  /**
   * Puts an unreferenced block on the free stack unscrubbed, marked stale: whoever takes it off
   * the stack must scrub it first (the cache does, in its allocation path).
   */
  pushFreeStale(block: number): void {
    this.pushFree(block);
    this.stale[block] = 1;
  }

  /** Queues an unreferenced block for scrubbing. */
  pushDirty(block: number): void {
    this.state[block] = BLOCK_DIRTY;
    this.dirtyStack[this.dirtyTop++] = block;
  }

  /** Takes a block off the scrub queue; -1 when empty. */
  popDirty(): number {
    return this.dirtyTop === 0 ? -1 : this.dirtyStack[--this.dirtyTop];
  }

  /** Marks a block freshly taken from the free stack (or reclaimed) as held by one reference. */
  claim(block: number): void {
    this.state[block] = BLOCK_USED;
    this.refcount[block] = 1;
    this.fill[block] = 0;
  }

  /** Adds a reference to a used block. */
  retain(block: number): void {
    this.refcount[block]++;
  }

  /**
   * Drops a reference; returns true when it was the last one (the caller then decides whether the
   * block is cached or freed). In debug mode a block outside the pool or with no references is
   * reported instead of corrupting the counts.
   */
  release(block: number): boolean {
    if (this.debug) this.checkHeld(block);
    return --this.refcount[block] === 0;
  }

  /** Throws if `block` is not a block of this pool that someone holds. */
  checkHeld(block: number): void {
    if (!Number.isInteger(block) || block < 0 || block >= this.capacity) {
      throw new KVForeignBlockError(block, `not a block of this pool (0..${this.capacity - 1})`);
    }
    if (this.refcount[block] <= 0 || this.state[block] !== BLOCK_USED) {
      throw new KVDoubleFreeError('block', block);
    }
  }

  /** Zeroes every byte of a block (which is then no longer stale). */
  scrub(block: number): void {
    const start = block * this.bytesPerBlock;
    this.bytes.fill(0, start, start + this.bytesPerBlock);
    this.stale[block] = 0;
  }

  /** Zeroes slots `fromSlot`..blockSize-1 of a block's K and V rows in every layer. */
  scrubSlots(block: number, fromSlot: number): void {
    const l = this.layout;
    const eb = l.elementBytes;
    for (let layer = 0; layer < l.layers; layer++) {
      for (let kind = 0; kind < 2; kind++) {
        const base = block * l.blockElements + layer * l.layerStride + kind * l.kindStride;
        this.bytes.fill(0, (base + fromSlot * l.slotStride) * eb, (base + l.kindStride) * eb);
      }
    }
  }

  /** True when every byte of the block is zero (reads the block, stopping at the first non-zero run). */
  isZero(block: number): boolean {
    const words = this.words;
    const end = (block + 1) * this.wordsPerBlock;
    // OR-accumulate runs of 64 words and test each run:
    // cheaper than a branch per word, and the test inside the loop gives the optimiser type
    // feedback (a test only after the loop deoptimised on every call).
    for (let i = block * this.wordsPerBlock; i < end; i += 64) {
      let acc = 0;
      for (let j = i, runEnd = Math.min(i + 64, end); j < runEnd; j++) acc |= words[j];
      if (acc !== 0) return false;
    }
    return true;
  }

  /** Copies a whole block's data (all layers, K and V) from `src` to `dst`. */
  copyBlock(src: number, dst: number): void {
    const start = src * this.bytesPerBlock;
    this.bytes.copyWithin(dst * this.bytesPerBlock, start, start + this.bytesPerBlock);
  }

  /**
   * Compacts the free stack: rebuilds it from the block states in index order, so the next
   * allocations take the lowest free blocks in ascending order (contiguous runs). Scans the pool.
   */
  rebuildFreeList(): void {
    const state = this.state;
    let top = 0;
    for (let b = this.capacity - 1; b >= 0; b--) if (state[b] === BLOCK_FREE) this.freeStack[top++] = b;
    this.freeTop = top;
    this.freeSorted = true;
  }

  /** The i-th entry of the free stack from the bottom (for audits). */
  freeEntry(i: number): number {
    return this.freeStack[i];
  }

  /** The i-th entry of the scrub queue (for audits). */
  dirtyEntry(i: number): number {
    return this.dirtyStack[i];
  }
}
