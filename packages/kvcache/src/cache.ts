/**
 * PagedKVCache: the public face of the allocator. It ties together the block pool (storage,
 * refcounts, free stack), the per-sequence block tables, the prefix cache, the swap space and
 * the garbage collector, and keeps the cross-cutting counters (used blocks, filled slots).
 */
import { auditCache, countLeaks, type AuditedParts, type KVAudit } from './audit.js';
import {
  KVCacheOutOfBlocksError,
  KVConfigError,
  KVPositionError,
  KVSequenceStateError,
  KVSwapSpaceFullError,
} from './errors.js';
import { GarbageCollector, type GcConfig, type GcListener, type GcPolicy } from './gc.js';
import { KVStorageLayout, type KVKind, type KVShape } from './layout.js';
import { BLOCK_CACHED, BLOCK_USED, BlockPool, type BlockState } from './pool.js';
import { PrefixCache, type PrefixHashFunction } from './prefix.js';
import { createKVCacheStats, type KVCacheStats } from './stats.js';
import { resolveStorage, type KVStorage, type KVStorageFactory } from './storage.js';
import { SwapSpace } from './swap.js';
import { SEQ_RESIDENT, SEQ_SWAPPED, SequenceTable, sequenceSlot, type BlockTableView } from './table.js';

export interface PagedKVCacheOptions extends KVShape {
  /**
   * Byte budget for the block pool (the analogue of vLLM's --gpu-memory-utilization × memory):
   * the pool holds floor(memoryBytes / bytesPerBlock) blocks. Defaults to the length of `storage`.
   */
  memoryBytes?: number;
  /** Where blocks live; a region of the shared arena in an engine. Default: a private ArrayBuffer. */
  storage?: KVStorage | KVStorageFactory;
  /** Garbage collector; default `{ policy: 'eager' }`. */
  gc?: GcConfig;
  /** Reuse computed blocks across sequences with equal prompt prefixes. Default true. */
  prefixCaching?: boolean;
  /** Advanced: the chained block hash (default `chainHash`). Matches are verified regardless. */
  prefixHash?: PrefixHashFunction;
  /** Bytes of host-side swap space for `swapOut`. Default 0 (no swapping). */
  swapBytes?: number;
  /**
   * Extra checks: sequence ids and positions on the hot accessors, block-table tampering and
   * double frees of blocks, and free blocks found non-zero by GC verification throw typed errors.
   */
  debug?: boolean;
}

export interface CreateSequenceOptions {
  /**
   * The prompt. With prefix caching, the sequence starts with the longest chain of cached full
   * blocks matching it (leaving at least the last prompt token to compute, since its logits are
   * needed); `sequenceLength(seq)` then tells how many tokens are already computed.
   */
  promptTokens?: ArrayLike<number>;
}

/** Result of a prefix lookup: matched full blocks and the tokens they hold. */
export interface PrefixMatch {
  blocks: number;
  tokens: number;
}

export class PagedKVCache {
  readonly layout: KVStorageLayout;
  /** Physical blocks in the pool. */
  readonly numBlocks: number;
  readonly blockSize: number;
  /** The storage region actually used (its byteLength is numBlocks × bytesPerBlock). */
  readonly storage: KVStorage;
  readonly prefixCaching: boolean;
  readonly debug: boolean;
  readonly pool: BlockPool;
  private readonly prefix: PrefixCache;
  private readonly gc: GarbageCollector;
  private readonly seqs: SequenceTable;
  private readonly swap: SwapSpace;
  private readonly f32View: Float32Array | null;
  private readonly u16View: Uint16Array | null;
  private readonly matchScratch: Int32Array;
  private usedBlocks = 0;
  /** Sum of `pool.fill` over used blocks. */
  private usedSlotsFilled = 0;
  private copyOnWrites = 0;
  private prefixQueries = 0;
  private prefixHits = 0;
  private prefixQueryTokens = 0;
  private prefixHitTokens = 0;
  private swapOuts = 0;
  private swapIns = 0;
  private blocksReclaimed = 0;

  constructor(options: PagedKVCacheOptions) {
    const shape = new KVStorageLayout(options);
    const fixed = options.storage !== undefined && typeof options.storage !== 'function' ? options.storage : undefined;
    const budget = options.memoryBytes ?? fixed?.byteLength;
    if (budget === undefined) throw new KVConfigError('give memoryBytes or storage to size the pool');
    const numBlocks = shape.blocksForBytes(budget);
    if (numBlocks < 1) {
      throw new KVConfigError(`a budget of ${budget} bytes holds no block of ${shape.bytesPerBlock} bytes`);
    }
    this.storage = resolveStorage(options.storage, numBlocks * shape.bytesPerBlock);
    this.layout = new KVStorageLayout(options, this.storage.byteOffset);
    this.numBlocks = numBlocks;
    this.blockSize = this.layout.blockSize;
    this.debug = options.debug ?? false;
    this.prefixCaching = options.prefixCaching ?? true;
    this.pool = new BlockPool(this.layout, numBlocks, this.storage, this.debug);
    this.prefix = new PrefixCache(numBlocks, this.blockSize, options.prefixHash);
    this.gc = new GarbageCollector(this.pool, this.prefix, options.gc, this.debug);
    this.seqs = new SequenceTable(numBlocks, this.debug);
    this.swap = new SwapSpace(options.swapBytes ?? 0, this.layout.bytesPerBlock);
    const elements = numBlocks * this.layout.blockElements;
    const { buffer, byteOffset } = this.storage;
    this.f32View = this.layout.elementType === 'f32' ? new Float32Array(buffer, byteOffset, elements) : null;
    this.u16View = this.layout.elementType === 'f16' ? new Uint16Array(buffer, byteOffset, elements) : null;
    this.matchScratch = new Int32Array(numBlocks);
  }

  /** The K/V storage as f32 elements; `layout` offsets index it. Throws unless the cache stores f32. */
  get f32(): Float32Array {
    if (!this.f32View) throw new KVConfigError(`this cache stores ${this.layout.elementType}; use ${this.layout.elementType === 'f16' ? 'f16Bits' : 'bytes'}`);
    return this.f32View;
  }

  /** The K/V storage as raw f16 bit patterns; `layout` offsets index it. Throws unless the cache stores f16. */
  get f16Bits(): Uint16Array {
    if (!this.u16View) throw new KVConfigError(`this cache stores ${this.layout.elementType}; use ${this.layout.elementType === 'f32' ? 'f32' : 'bytes'}`);
    return this.u16View;
  }

  /**
   * The K/V storage as bytes, whatever the element type: byte offset = `layout` offset ×
   * `layout.elementBytes` (for q8_0 the two are the same).
   */
  get bytes(): Uint8Array {
    return this.pool.bytes;
  }

  /** `slotOffset` in bytes from the start of `bytes` (what attention kernels are given). */
  slotByteOffset(seq: number, pos: number, layer: number, kind: KVKind): number {
    return this.slotOffset(seq, pos, layer, kind) * this.layout.elementBytes;
  }

  get gcPolicy(): GcPolicy {
    return this.gc.policy;
  }

  // ---- sequences -------------------------------------------------------------------------

  /** Starts a sequence (reusing cached prefix blocks of `promptTokens`, if given) and returns its id. */
  createSequence(options?: CreateSequenceOptions): number {
    const seq = this.seqs.create();
    const prompt = options?.promptTokens;
    if (prompt === undefined || !this.prefixCaching) return seq;
    const slot = sequenceSlot(seq);
    this.prefixQueries++;
    this.prefixQueryTokens += prompt.length;
    const matched = prompt.length === 0 ? 0 : this.prefix.match(prompt, (prompt.length - 1) >> this.layout.blockShift, this.matchScratch);
    if (matched === 0) return seq;
    this.prefixHits++;
    this.prefixHitTokens += matched * this.blockSize;
    this.seqs.ensureCapacity(slot, matched);
    for (let i = 0; i < matched; i++) {
      const b = this.matchScratch[i];
      this.retainBlock(b);
      this.seqs.setBlock(slot, i, b);
    }
    this.seqs.numBlocks[slot] = matched;
    this.seqs.numTokens[slot] = matched * this.blockSize;
    this.seqs.committed[slot] = matched * this.blockSize;
    this.seqs.hashedBlocks[slot] = matched;
    return seq;
  }

  /**
   * How many leading full blocks of `tokens` are cached (a probe: no references taken, no
   * statistics counted, LRU order untouched).
   */
  matchPrefix(tokens: ArrayLike<number>, out: PrefixMatch = { blocks: 0, tokens: 0 }): PrefixMatch {
    const blocks = this.prefixCaching ? this.prefix.match(tokens, this.numBlocks, this.matchScratch) : 0;
    out.blocks = blocks;
    out.tokens = blocks * this.blockSize;
    return out;
  }

  /**
   * Reserves slots for `n` more tokens, allocating blocks as needed. If the last block is partly
   * filled and shared (after a fork) or registered in the prefix cache (registered blocks are
   * immutable), it is first copied, since the new tokens are written into it.
   * All or nothing: throws KVCacheOutOfBlocksError without changing anything when blocks run out.
   */
  appendSlots(seq: number, n: number): void {
    const slot = this.residentSlot(seq);
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`appendSlots: n must be a non-negative integer, got ${n}`);
    if (n === 0) return;
    const { blockShift, blockMask } = this.layout;
    const seqs = this.seqs;
    const tokens = seqs.numTokens[slot];
    const nb = seqs.numBlocks[slot];
    const newTokens = tokens + n;
    const newNb = (newTokens + blockMask) >> blockShift;
    const cow = (tokens & blockMask) !== 0 && this.mustCopyBeforeWrite(seqs.tables[slot][nb - 1]);
    const need = newNb - nb + (cow ? 1 : 0);
    if (need > 0) {
      const available = this.availableBlocks();
      if (need > available) throw new KVCacheOutOfBlocksError(need, available);
    }
    if (newNb > nb) seqs.ensureCapacity(slot, newNb);
    if (cow) this.copyOnWrite(slot, nb - 1);
    else if ((tokens & blockMask) !== 0) this.clearStaleTail(slot, nb - 1, tokens & blockMask);
    for (let i = nb; i < newNb; i++) seqs.setBlock(slot, i, this.allocBlock());
    seqs.numBlocks[slot] = newNb;
    seqs.numTokens[slot] = newTokens;
    const table = seqs.tables[slot];
    const fill = this.pool.fill;
    for (let i = tokens >> blockShift; i < newNb; i++) {
      const b = table[i];
      const inBlock = Math.min(this.blockSize, newTokens - (i << blockShift));
      if (inBlock > fill[b]) {
        this.usedSlotsFilled += inBlock - fill[b];
        fill[b] = inBlock;
      }
    }
  }

  /** Blocks `appendSlots(seq, n)` would take from the pool (including a copy-on-write). */
  blocksNeeded(seq: number, n: number): number {
    const slot = this.residentSlot(seq);
    const tokens = this.seqs.numTokens[slot];
    const nb = this.seqs.numBlocks[slot];
    const cow = n > 0 && (tokens & this.layout.blockMask) !== 0 && this.mustCopyBeforeWrite(this.seqs.tables[slot][nb - 1]);
    return this.layout.blocksForTokens(tokens + n) - nb + (cow ? 1 : 0);
  }

  /** Blocks an allocation could obtain now: clean free, awaiting scrub, and evictable cached. */
  availableBlocks(): number {
    return this.pool.freeCount + this.pool.dirtyCount + this.prefix.cachedCount;
  }

  /**
   * Element offset of the K or V row (kvHeads × headDim elements) of token `pos` in `layer`.
   * Hot path: unchecked unless `debug` is set. For whole-sequence loops, walking `blockTable()`
   * with `layout.blockOffset` is cheaper.
   */
  slotOffset(seq: number, pos: number, layer: number, kind: KVKind): number {
    if (this.debug) this.checkPosition(this.residentSlot(seq), seq, pos);
    const l = this.layout;
    const block = this.seqs.tables[sequenceSlot(seq)][pos >> l.blockShift];
    return block * l.blockElements + layer * l.layerStride + (kind === 'v' ? l.kindStride : 0) + (pos & l.blockMask) * l.slotStride;
  }

  /** The sequence's block table (a live, reused view; see BlockTableView). */
  blockTable(seq: number): BlockTableView {
    return this.seqs.view(this.residentSlot(seq));
  }

  /** Token slots reserved for the sequence (including reused prefix tokens). */
  sequenceLength(seq: number): number {
    return this.seqs.numTokens[this.seqs.slotOf(seq)];
  }

  /** Tokens committed with `commitTokens` (or reused from the prefix cache). */
  committedTokens(seq: number): number {
    return this.seqs.committed[this.seqs.slotOf(seq)];
  }

  isSwapped(seq: number): boolean {
    return this.seqs.state[this.seqs.slotOf(seq)] === SEQ_SWAPPED;
  }

  /** A new sequence sharing all of `seq`'s blocks (copy-on-write: see appendSlots, prepareWrite). */
  forkSequence(seq: number): number {
    const parent = this.residentSlot(seq);
    const child = sequenceSlot(this.seqs.create());
    const seqs = this.seqs;
    const nb = seqs.numBlocks[parent];
    const first = seqs.firstBlock[parent];
    seqs.ensureCapacity(child, nb);
    const table = seqs.tables[parent];
    for (let i = 0; i < nb; i++) {
      if (i >= first) this.pool.retain(table[i]);
      seqs.setBlock(child, i, table[i]);
    }
    seqs.firstBlock[child] = first;
    seqs.numBlocks[child] = nb;
    seqs.numTokens[child] = seqs.numTokens[parent];
    seqs.committed[child] = seqs.committed[parent];
    seqs.hashedBlocks[child] = seqs.hashedBlocks[parent];
    return seqs.idOf(child);
  }

  /**
   * Call before overwriting an already written position `pos`: if its block is shared, the
   * sequence gets a private copy (returns true); if it is a registered prefix block, it leaves the
   * prefix cache. Positions from `pos` on count as uncommitted again. Not needed for the slots a
   * fresh `appendSlots` returned.
   */
  prepareWrite(seq: number, pos: number): boolean {
    const slot = this.residentSlot(seq);
    this.checkPosition(slot, seq, pos);
    const seqs = this.seqs;
    const i = pos >> this.layout.blockShift;
    const b = seqs.tables[slot][i];
    let copied = false;
    if (this.pool.refcount[b] > 1) {
      const available = this.availableBlocks();
      if (available < 1) throw new KVCacheOutOfBlocksError(1, available);
      this.copyOnWrite(slot, i);
      copied = true;
    } else if (this.prefix.hashed[b] === 1) {
      this.prefix.unregister(b);
    }
    if (seqs.hashedBlocks[slot] > i) seqs.hashedBlocks[slot] = i;
    if (seqs.committed[slot] > pos) seqs.committed[slot] = pos;
    return copied;
  }

  /**
   * Declares that the K/V of the first `count` tokens of the sequence is written; `tokens[i]` is
   * the id of token i (the whole sequence so far — only newly completed blocks are read). With
   * prefix caching, each block that became full is hashed and registered for reuse.
   */
  commitTokens(seq: number, tokens: ArrayLike<number>, count: number = tokens.length): void {
    const slot = this.residentSlot(seq);
    const seqs = this.seqs;
    if (!Number.isInteger(count) || count < 0 || count > seqs.numTokens[slot] || count > tokens.length) {
      throw new KVPositionError(seq, count - 1, Math.min(seqs.numTokens[slot], tokens.length));
    }
    const before = seqs.committed[slot];
    if (count <= before) return;
    seqs.committed[slot] = count;
    if (!this.prefixCaching) return;
    const shift = this.layout.blockShift;
    const full = count >> shift;
    let hashed = seqs.hashedBlocks[slot];
    // Only extend an unbroken chain: a block's identity is its parent plus its tokens.
    if (hashed !== before >> shift) return;
    const table = seqs.tables[slot];
    const first = seqs.firstBlock[slot];
    for (; hashed < full; hashed++) {
      // A block whose predecessor was released cannot name its parent: the chain ends there.
      if (first > 0 && hashed <= first) break;
      const b = table[hashed];
      const parent = hashed === 0 ? -1 : table[hashed - 1];
      const start = hashed << shift;
      if (this.prefix.hashed[b] === 1) {
        // Registered by another holder of this shared block (a fork): join it if it is the same.
        const linked =
          this.prefix.parent[b] === parent && (parent < 0 || this.prefix.parentGen[b] === this.prefix.gen[parent]);
        if (!linked || !this.prefix.holds(b, tokens, start)) break;
      } else {
        this.prefix.register(b, parent, tokens, start);
      }
    }
    seqs.hashedBlocks[slot] = hashed;
  }

  /**
   * Shortens the sequence to `length` tokens (speculative-decoding rollback, retries): blocks past
   * the end are released, and the reserved-but-dropped slots of a partly kept block are zeroed
   * (a block shared with another sequence is left alone; the next append copies it). Tokens from
   * `length` on count as uncommitted.
   */
  truncateSequence(seq: number, length: number): void {
    const slot = this.residentSlot(seq);
    const seqs = this.seqs;
    const old = seqs.numTokens[slot];
    const { blockShift, blockMask } = this.layout;
    // Released positions cannot come back: the sequence may only shrink to what it still holds.
    if (!Number.isInteger(length) || length < seqs.firstBlock[slot] << blockShift || length > old) throw new KVPositionError(seq, length, old);
    if (length === old) return;
    seqs.verifyUntouched(slot);
    const table = seqs.tables[slot];
    const keep = (length + blockMask) >> blockShift;
    for (let i = seqs.numBlocks[slot] - 1; i >= keep; i--) this.releaseBlock(table[i]);
    seqs.numBlocks[slot] = keep;
    seqs.numTokens[slot] = length;
    if (seqs.committed[slot] > length) seqs.committed[slot] = length;
    if (seqs.hashedBlocks[slot] > length >> blockShift) seqs.hashedBlocks[slot] = length >> blockShift;
    const inBlock = length & blockMask;
    const last = keep - 1;
    if (inBlock !== 0 && this.pool.refcount[table[last]] === 1) {
      const b = table[last];
      // Its tail is about to be rewritten, so it no longer holds what a prefix lookup expects.
      if (this.prefix.hashed[b] === 1) this.prefix.unregister(b);
      this.pool.scrubSlots(b, inBlock);
      this.usedSlotsFilled -= this.pool.fill[b] - inBlock;
      this.pool.fill[b] = inBlock;
    }
    this.gc.afterRelease();
  }

  /**
   * Releases the sequence's leading blocks every position of which is before `pos` (full blocks
   * only): the K/V a sliding-window layer will never attend again. The sequence keeps its length
   * and every later position keeps its block and offset; the released positions can no longer be
   * read (`slotOffset` on them is undefined, a KVPositionError in debug mode) nor truncated back
   * to. Released blocks go where any released block goes (cached if registered, else to the GC),
   * so the prefix chain of a registered sequence stops growing. Returns how many were released.
   */
  releaseBlocksBefore(seq: number, pos: number): number {
    const slot = this.residentSlot(seq);
    if (!Number.isInteger(pos)) throw new RangeError(`releaseBlocksBefore: pos must be an integer, got ${pos}`);
    const seqs = this.seqs;
    const first = seqs.firstBlock[slot];
    // Never the partly filled last block: appendSlots writes on into it.
    const upTo = Math.min(pos, seqs.numTokens[slot]) >> this.layout.blockShift;
    if (upTo <= first) return 0;
    seqs.verifyUntouched(slot);
    const table = seqs.tables[slot];
    for (let i = first; i < upTo; i++) {
      this.releaseBlock(table[i]);
      seqs.setBlock(slot, i, -1);
    }
    seqs.firstBlock[slot] = upTo;
    this.gc.afterRelease();
    return upTo - first;
  }

  /** Leading positions released by `releaseBlocksBefore` (a multiple of the block size). */
  releasedTokens(seq: number): number {
    return this.seqs.firstBlock[this.seqs.slotOf(seq)] << this.layout.blockShift;
  }

  /** Ends a sequence: its blocks are released (cached if registered, else freed for the GC). */
  freeSequence(seq: number): void {
    const slot = this.seqs.slotOf(seq, true);
    const table = this.seqs.tables[slot];
    const nb = this.seqs.numBlocks[slot];
    const first = this.seqs.firstBlock[slot];
    if (this.seqs.state[slot] === SEQ_SWAPPED) {
      for (let i = first; i < nb; i++) this.swap.release(table[i]);
    } else {
      this.seqs.verifyUntouched(slot);
      // Tail blocks first: they enter the LRU as the oldest, since later blocks of a prompt are
      // the least likely to be shared.
      for (let i = nb - 1; i >= first; i--) this.releaseBlock(table[i]);
    }
    this.seqs.release(slot);
    this.gc.afterRelease();
  }

  // ---- swapping ---------------------------------------------------------------------------

  /** Copies the sequence's blocks to swap space and releases them; throws KVSwapSpaceFullError if they do not fit. */
  swapOut(seq: number): void {
    const slot = this.residentSlot(seq);
    const seqs = this.seqs;
    const swap = this.swap;
    const nb = seqs.numBlocks[slot];
    const first = seqs.firstBlock[slot];
    if (nb - first > swap.freeCount) throw new KVSwapSpaceFullError(nb - first, swap.freeCount);
    seqs.verifyUntouched(slot);
    const table = seqs.tables[slot];
    for (let i = nb - 1; i >= first; i--) {
      const b = table[i];
      const s = swap.allocate();
      swap.store(this.pool.bytes, b, s);
      if (this.prefix.hashed[b] === 1) {
        swap.origin[s] = b;
        swap.originGen[s] = this.prefix.gen[b];
      }
      this.releaseBlock(b);
      seqs.setBlock(slot, i, s);
    }
    seqs.setState(slot, SEQ_SWAPPED);
    this.swapOuts++;
    this.gc.afterRelease();
  }

  /**
   * Brings a swapped-out sequence back into (possibly different) pool blocks and updates its
   * table. Blocks still held by the prefix cache are taken back without a copy. All or nothing.
   */
  swapIn(seq: number): void {
    const slot = this.seqs.slotOf(seq);
    if (this.seqs.state[slot] !== SEQ_SWAPPED) throw new KVSequenceStateError(seq, 'swapped');
    const seqs = this.seqs;
    const swap = this.swap;
    const nb = seqs.numBlocks[slot];
    const first = seqs.firstBlock[slot];
    const table = seqs.tables[slot];
    let reclaimable = 0;
    let reclaimCached = 0;
    for (let i = first; i < nb; i++) {
      const origin = this.reclaimableOrigin(table[i]);
      if (origin < 0) continue;
      reclaimable++;
      if (this.pool.refcount[origin] === 0) reclaimCached++;
    }
    const need = nb - first - reclaimable;
    const available = this.availableBlocks() - reclaimCached;
    if (need > available) throw new KVCacheOutOfBlocksError(need, available);
    // Take back the still-cached blocks first, so allocating the rest cannot evict them.
    const hashedBefore = seqs.hashedBlocks[slot];
    const reclaimed = this.matchScratch;
    let chain = 0;
    for (let i = first; i < nb; i++) {
      const s = table[i];
      const origin = this.reclaimableOrigin(s);
      reclaimed[i] = origin < 0 ? 0 : 1;
      if (origin < 0) continue;
      this.retainBlock(origin);
      swap.release(s);
      seqs.setBlock(slot, i, origin);
      this.blocksReclaimed++;
      if (chain === i && i < hashedBefore) chain++;
    }
    const tokens = seqs.numTokens[slot];
    for (let i = first; i < nb; i++) {
      if (reclaimed[i] === 1) continue;
      const s = table[i];
      const b = this.allocBlock();
      swap.load(this.pool.bytes, s, b);
      swap.release(s);
      const inBlock = Math.min(this.blockSize, tokens - i * this.blockSize);
      // The copy may carry a former co-holder's slots past this sequence's end.
      if (inBlock < this.blockSize) this.pool.scrubSlots(b, inBlock);
      this.pool.fill[b] = inBlock;
      this.usedSlotsFilled += inBlock;
      seqs.setBlock(slot, i, b);
    }
    seqs.hashedBlocks[slot] = chain;
    seqs.setState(slot, SEQ_RESIDENT);
    this.swapIns++;
  }

  // ---- garbage collection -----------------------------------------------------------------

  /** Call once per decode step: counts tokens and runs periodic sweeps / incremental slices. */
  step(tokens = 1): void {
    this.gc.step(tokens);
  }

  /** Runs a full GC sweep now (see GcPolicy for what 'off' does). */
  collect(): void {
    this.gc.collect();
  }

  /** Evicts up to `max` unreferenced cached prefix blocks, least recently used first; returns how many. */
  evictCached(max = Number.POSITIVE_INFINITY): number {
    const n = this.gc.evict(max);
    this.gc.afterRelease();
    return n;
  }

  /** Subscribes to GC cycle events (the event object is reused: copy what you keep). Returns unsubscribe. */
  onGc(listener: GcListener): () => void {
    return this.gc.onGc(listener);
  }

  // ---- inspection -------------------------------------------------------------------------

  /** Current statistics; pass a preallocated object (createKVCacheStats()) to avoid allocating. */
  stats(out: KVCacheStats = createKVCacheStats()): KVCacheStats {
    const pool = this.pool;
    const gc = this.gc;
    const bpb = this.layout.bytesPerBlock;
    out.blockSize = this.blockSize;
    out.bytesPerBlock = bpb;
    out.blocksTotal = this.numBlocks;
    out.blocksUsed = this.usedBlocks;
    out.blocksCached = this.prefix.cachedCount;
    out.blocksFree = pool.freeCount;
    out.blocksAwaitingScrub = pool.dirtyCount;
    out.utilization = this.usedBlocks / this.numBlocks;
    out.slotsAllocated = this.usedBlocks * this.blockSize;
    out.slotsFilled = this.usedSlotsFilled;
    out.internalFragmentation = out.slotsAllocated === 0 ? 0 : (out.slotsAllocated - out.slotsFilled) / out.slotsAllocated;
    out.sequencesResident = this.seqs.residentCount;
    out.sequencesSwapped = this.seqs.swappedCount;
    out.copyOnWrites = this.copyOnWrites;
    out.evictions = gc.blocksEvicted;
    const p = out.prefix;
    p.enabled = this.prefixCaching;
    p.queries = this.prefixQueries;
    p.hits = this.prefixHits;
    p.queryTokens = this.prefixQueryTokens;
    p.hitTokens = this.prefixHitTokens;
    p.hitRate = this.prefixQueryTokens === 0 ? 0 : this.prefixHitTokens / this.prefixQueryTokens;
    p.registeredBlocks = this.prefix.hashedCount;
    const s = out.swap;
    s.blocksTotal = this.swap.capacity;
    s.blocksUsed = this.swap.usedCount;
    s.bytesTotal = this.swap.capacity * bpb;
    s.bytesUsed = this.swap.usedCount * bpb;
    s.swapOuts = this.swapOuts;
    s.swapIns = this.swapIns;
    s.blocksReclaimed = this.blocksReclaimed;
    const g = out.gc;
    g.policy = gc.policy;
    g.cycles = gc.cycles;
    g.blocksEvicted = gc.blocksEvicted;
    g.blocksScrubbed = gc.blocksScrubbed;
    g.bytesScrubbed = gc.bytesScrubbed;
    g.blocksVerified = gc.blocksVerified;
    g.corruptBlocksFound = gc.corruptBlocksFound;
    g.onDemandScrubs = gc.onDemandScrubs;
    g.lazyScrubs = gc.lazyScrubs;
    gc.reportPauses(g);
    return out;
  }

  /** References to a physical block from block tables. */
  refcountOf(block: number): number {
    return this.pool.refcount[block];
  }

  /** Whether a block is registered in the prefix cache (its contents are then immutable). */
  isRegistered(block: number): boolean {
    return this.prefix.hashed[block] === 1;
  }

  /** BLOCK_FREE, BLOCK_DIRTY, BLOCK_USED or BLOCK_CACHED. */
  blockState(block: number): BlockState {
    return this.pool.state[block] as BlockState;
  }

  /** Recomputes all bookkeeping from scratch and throws KVInvariantError on any mismatch (O(pool)). */
  checkInvariants(): void {
    auditCache(this.auditedParts());
  }

  /**
   * Where every block is, recomputed from scratch (O(pool + tables); for leak checks in tests
   * and soaks): held by live sequences, free, awaiting scrub, cached, or leaked (none of those).
   * Once every sequence is freed, a healthy cache has `liveSequences`, `blocksHeld`,
   * `blocksLeaked` and `swapSlotsLeaked` all 0 and no `invariantViolation`. Never throws for a
   * bad state: it reports it.
   */
  audit(): KVAudit {
    return countLeaks(this.auditedParts());
  }

  private auditedParts(): AuditedParts {
    return {
      pool: this.pool,
      prefix: this.prefix,
      seqs: this.seqs,
      swap: this.swap,
      usedBlocks: this.usedBlocks,
      usedSlotsFilled: this.usedSlotsFilled,
    };
  }

  // ---- internals --------------------------------------------------------------------------

  private residentSlot(seq: number): number {
    const slot = this.seqs.slotOf(seq);
    if (this.seqs.state[slot] !== SEQ_RESIDENT) throw new KVSequenceStateError(seq, 'resident');
    return slot;
  }

  private checkPosition(slot: number, seq: number, pos: number): void {
    const length = this.seqs.numTokens[slot];
    const held = this.seqs.firstBlock[slot] << this.layout.blockShift;
    if (!Number.isInteger(pos) || pos < held || pos >= length) throw new KVPositionError(seq, pos, length);
  }

  /**
   * Takes a block for a new reference, all zeros (a block only ever reaches a new holder with
   * data in it through the prefix cache, for the tokens it holds); the caller has checked
   * availableBlocks().
   */
  private allocBlock(): number {
    let b = this.pool.popFree();
    if (b < 0) b = this.gc.reclaim();
    else if (this.pool.stale[b] === 1) this.gc.scrubStale(b);
    this.pool.claim(b);
    this.usedBlocks++;
    return b;
  }

  /** Adds a reference to a used or cached block. */
  private retainBlock(b: number): void {
    if (this.pool.refcount[b] === 0) {
      // Cached and unreferenced: back into use, out of the LRU.
      this.prefix.lruRemove(b);
      this.pool.state[b] = BLOCK_USED;
      this.pool.refcount[b] = 1;
      this.usedBlocks++;
      this.usedSlotsFilled += this.pool.fill[b];
    } else {
      this.pool.retain(b);
    }
  }

  /** Drops a reference; at zero the block is cached (if registered) or handed to the GC. */
  private releaseBlock(b: number): void {
    if (!this.pool.release(b)) return;
    this.usedBlocks--;
    this.usedSlotsFilled -= this.pool.fill[b];
    if (this.prefix.hashed[b] === 1) {
      this.pool.state[b] = BLOCK_CACHED;
      this.prefix.lruPush(b);
    } else {
      this.gc.unreferenced(b);
    }
  }

  /** Whether new tokens may not be written into `block` in place: it is shared or registered. */
  private mustCopyBeforeWrite(block: number): boolean {
    return this.pool.refcount[block] > 1 || this.prefix.hashed[block] === 1;
  }

  /** Gives the sequence a private copy of its shared block `i`; the caller checked availability. */
  private copyOnWrite(slot: number, i: number): void {
    const seqs = this.seqs;
    const old = seqs.tables[slot][i];
    const b = this.allocBlock();
    this.pool.copyBlock(old, b);
    const inBlock = Math.min(this.blockSize, seqs.numTokens[slot] - i * this.blockSize);
    // Slots past this sequence's tokens may hold a longer holder's data (after a truncation).
    if (inBlock < this.blockSize) this.pool.scrubSlots(b, inBlock);
    this.pool.fill[b] = inBlock;
    this.usedSlotsFilled += inBlock;
    seqs.setBlock(slot, i, b);
    this.releaseBlock(old);
    if (seqs.hashedBlocks[slot] > i) seqs.hashedBlocks[slot] = i;
    this.copyOnWrites++;
  }

  /**
   * Before appending into this sequence's own partial block: slots past its tokens that a former
   * co-holder reserved (the sequence was truncated while the block was shared) still hold that
   * holder's data; zero them so new slots start clean.
   */
  private clearStaleTail(slot: number, i: number, inBlock: number): void {
    const b = this.seqs.tables[slot][i];
    const fill = this.pool.fill[b];
    if (fill <= inBlock) return;
    this.pool.scrubSlots(b, inBlock);
    this.usedSlotsFilled -= fill - inBlock;
    this.pool.fill[b] = inBlock;
  }

  /** The pool block a swap slot's data can be taken back from, or -1. */
  private reclaimableOrigin(swapSlot: number): number {
    const origin = this.swap.origin[swapSlot];
    if (origin < 0 || this.prefix.hashed[origin] !== 1 || this.prefix.gen[origin] !== this.swap.originGen[swapSlot]) return -1;
    return origin;
  }
}
