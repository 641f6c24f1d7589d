/**
 * One sequence of a paged KV cache seen through the forward pass's KVCache interface: K/V of
 * (layer, position) live wherever that position's block sits in the shared pool, found through
 * the sequence's block table (PagedAttention). Blocks are allocated as positions are reserved.
 */
import { KVCacheOutOfBlocksError, type PagedKVCache } from '@legato/kvcache';
import type { KVType } from '@legato/quant';
import type { KVCache } from './kv-cache.js';

/** A sequence's KV as the scheduler sees it: the forward pass's view plus block accounting. */
export interface SequenceKV extends KVCache {
  /** Positions whose K/V are already present (reused prefix blocks count). */
  readonly length: number;
  /**
   * Whether `reserve(end)` finds the blocks it needs now, in every pool the sequence uses. A
   * hybrid sequence first releases the sliding-window blocks no later token will read.
   */
  canReserve(end: number): boolean;
  /** The error a request fails with when `reserve(end)` cannot fit (names the short pool's counts). */
  outOfBlocks(end: number): KVCacheOutOfBlocksError;
  /** Declares positions [0, count) computed; `tokens` are the sequence's ids (for prefix hashing). */
  commit(tokens: ArrayLike<number>, count: number): void;
}

/** Where sequences get their KV blocks: one paged pool, or one pool per layer group (HybridKVPools). */
export interface KVPools {
  /** Whether a new sequence could take a first block in every pool now. */
  hasFreeBlock(): boolean;
  /** A new sequence of at most `capacity` positions, reusing cached blocks of `promptTokens` if given. */
  open(capacity: number, promptTokens?: ArrayLike<number>): SequenceKV;
  /** Once per engine step: the pools' garbage collectors. */
  step(): void;
}

export class PagedSequenceKV implements SequenceKV {
  readonly kvDim: number;
  readonly type: KVType;
  readonly data: Uint8Array;
  private readonly unitBytes: number;

  constructor(
    readonly pool: PagedKVCache,
    readonly seq: number,
    /** Positions this sequence may reach (the context size). */
    readonly capacity: number,
  ) {
    this.kvDim = pool.layout.kvHeads * pool.layout.headDim;
    this.type = pool.layout.elementType;
    this.data = pool.bytes;
    this.unitBytes = pool.layout.elementBytes;
  }

  /** Positions whose K/V are already present (reused prefix blocks count). */
  get length(): number {
    return this.pool.sequenceLength(this.seq);
  }

  reserve(end: number): void {
    if (end > this.capacity) throw new RangeError(`KV cache holds ${this.capacity} positions, ${end} requested`);
    const have = this.pool.sequenceLength(this.seq);
    if (end > have) this.pool.appendSlots(this.seq, end - have);
  }

  canReserve(end: number): boolean {
    return this.pool.blocksNeeded(this.seq, end - this.length) <= this.pool.availableBlocks();
  }

  outOfBlocks(end: number): KVCacheOutOfBlocksError {
    return new KVCacheOutOfBlocksError(this.pool.blocksNeeded(this.seq, end - this.length), this.pool.availableBlocks());
  }

  commit(tokens: ArrayLike<number>, count: number): void {
    this.pool.commitTokens(this.seq, tokens, count);
  }

  kOffset(layer: number, pos: number): number {
    return this.pool.slotOffset(this.seq, pos, layer, 'k') * this.unitBytes;
  }

  vOffset(layer: number, pos: number): number {
    return this.pool.slotOffset(this.seq, pos, layer, 'v') * this.unitBytes;
  }

  truncate(length: number): void {
    if (length !== this.length) throw new RangeError('a paged sequence cannot be truncated; start a new sequence');
  }

  /** Ends the sequence: its blocks return to the pool (full ones stay cached for prefix reuse). */
  dispose(): void {
    this.pool.freeSequence(this.seq);
  }
}

/** Every layer in one pool: the path of models without sliding-window layers. */
export class SinglePool implements KVPools {
  constructor(readonly pool: PagedKVCache) {}

  hasFreeBlock(): boolean {
    return this.pool.availableBlocks() > 0;
  }

  open(capacity: number, promptTokens?: ArrayLike<number>): PagedSequenceKV {
    const seq = this.pool.createSequence(promptTokens === undefined ? undefined : { promptTokens });
    return new PagedSequenceKV(this.pool, seq, capacity);
  }

  step(): void {
    this.pool.step();
  }
}
