/**
 * One sequence of a paged KV cache seen through the forward pass's KVCache interface: K/V of
 * (layer, position) live wherever that position's block sits in the shared pool, found through
 * the sequence's block table (PagedAttention). Blocks are allocated as positions are reserved.
 */
import type { PagedKVCache } from '@legato/kvcache';
import type { KVCache } from './kv-cache.js';

export class PagedSequenceKV implements KVCache {
  readonly kvDim: number;
  readonly data: Float32Array;

  constructor(
    readonly pool: PagedKVCache,
    readonly seq: number,
    /** Positions this sequence may reach (the context size). */
    readonly capacity: number,
  ) {
    this.kvDim = pool.layout.slotStride;
    this.data = pool.f32;
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

  kOffset(layer: number, pos: number): number {
    return this.pool.slotOffset(this.seq, pos, layer, 'k');
  }

  vOffset(layer: number, pos: number): number {
    return this.pool.slotOffset(this.seq, pos, layer, 'v');
  }

  truncate(length: number): void {
    if (length !== this.length) throw new RangeError('a paged sequence cannot be truncated; start a new sequence');
  }

  /** Ends the sequence: its blocks return to the pool (full ones stay cached for prefix reuse). */
  dispose(): void {
    this.pool.freeSequence(this.seq);
  }
}
