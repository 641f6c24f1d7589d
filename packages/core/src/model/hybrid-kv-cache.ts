/**
 * vLLM v1's hybrid KV allocator, in its smallest form: a model with sliding-window layers keeps
 * two paged pools (KV-cache groups), one for its global layers and one for its sliding-window
 * layers, each with its own layer count. A sequence has a block table in each. A token at position
 * p of a sliding-window layer reads only (p − W, p], so as a sequence advances, the window group
 * releases every block whose positions are all older than the first token still to be computed
 * minus W − 1: a sequence holds at most ceil(W / blockSize) + 1 window blocks while decoding,
 * instead of its whole length.
 *
 * Both pools live in one region of the arena, so the forward pass reads both through one
 * `data` array: offsets of the window group are shifted by where its pool starts.
 *
 * Prefix caching: each pool keeps its own chain. A new sequence reuses min(global match, window
 * match) tokens. Released window blocks that were registered stay in the window pool's prefix
 * cache until evicted, so a later prompt can still match them; to keep the chain unbroken, a
 * prompt's window blocks are committed (hashed) just before they are released, even mid-prefill.
 */
import { KVCacheOutOfBlocksError, KVPositionError, PagedKVCache, type GcConfig, type KVStorage } from '@legato/kvcache';
import { kvRowBytes, type KVType } from '@legato/quant';
import type { LlamaConfig } from './config.js';
import type { KVPools, SequenceKV } from './paged-kv-cache.js';

export interface HybridKVPoolsOptions {
  blockSize: number;
  contextSize: number;
  maxSequences: number;
  /** Most tokens of one sequence computed in one step (a prefill chunk). */
  maxBatchTokens: number;
  /** Byte budget for both pools; default: every sequence at full context in the global group. */
  memoryBytes?: number;
  gc?: GcConfig;
  prefixCaching: boolean;
  /** Element type of both pools' rows. Default 'f32'. */
  kvType?: KVType;
  /** Carves `bytes` of zeroed memory (a region of the arena): its buffer (read after carving) and offset. */
  alloc: (bytes: number) => { buffer: ArrayBufferLike; byteOffset: number };
}

/** Whether a model gets hybrid pools: some, but not all, of its layers use a sliding window. */
export function hasSlidingWindowGroup(config: LlamaConfig): boolean {
  if (config.slidingWindow <= 0) return false;
  let swa = 0;
  for (let l = 0; l < config.nLayers; l++) swa += config.swaLayers[l];
  return swa > 0 && swa < config.nLayers;
}

/** Blocks one sequence can hold at once in the window group: a chunk of `chunk` tokens and the W − 1 before it. */
export function windowBlocksPerSequence(window: number, chunk: number, blockSize: number, contextSize: number): number {
  return Math.min(Math.ceil(contextSize / blockSize), Math.ceil((window - 1 + chunk) / blockSize) + 1);
}

export class HybridKVPools implements KVPools {
  /** The global layers' pool. */
  readonly global: PagedKVCache;
  /** The sliding-window layers' pool. */
  readonly window: PagedKVCache;
  /** W: a sliding-window layer at position p reads positions (p − W, p]. */
  readonly slidingWindow: number;
  /** Both pools, as one byte array: the global pool at 0, the window pool at byte `windowBase`. */
  readonly data: Uint8Array;
  readonly windowBase: number;
  readonly kvType: KVType;
  /** Per model layer: 1 when it is in the window group. */
  readonly group: Uint8Array;
  /** Per model layer: its index within its group's pool. */
  readonly index: Int32Array;
  /** Byte offset of the region holding both pools (to return it to the arena). */
  readonly region: number;

  constructor(config: LlamaConfig, o: HybridKVPoolsOptions) {
    if (!hasSlidingWindowGroup(config)) throw new RangeError('hybrid KV pools need both global and sliding-window layers');
    const n = config.nLayers;
    this.slidingWindow = config.slidingWindow;
    this.group = Uint8Array.from(config.swaLayers);
    this.index = new Int32Array(n);
    let nWindow = 0;
    for (let l = 0; l < n; l++) this.index[l] = this.group[l] === 1 ? nWindow++ : l - nWindow;
    const nGlobal = n - nWindow;
    const bs = o.blockSize;
    this.kvType = o.kvType ?? 'f32';
    const rowBytes = 2 * kvRowBytes(this.kvType, config.kvDim) * bs; // K and V of one layer of one block
    const globalBlockBytes = nGlobal * rowBytes;
    const windowBlockBytes = nWindow * rowBytes;
    const perSeqGlobal = Math.ceil(o.contextSize / bs);
    const perSeqWindow = windowBlocksPerSequence(this.slidingWindow, o.maxBatchTokens, bs, o.contextSize);
    let globalBlocks: number;
    let windowBlocks: number;
    if (o.memoryBytes === undefined) {
      globalBlocks = o.maxSequences * perSeqGlobal;
      windowBlocks = o.maxSequences * perSeqWindow;
    } else {
      // Split a given budget in the default proportion, leaving the window pool room for one
      // sequence (whatever fits the global pool must fit the window pool).
      const gb = perSeqGlobal * globalBlockBytes;
      const wb = perSeqWindow * windowBlockBytes;
      windowBlocks = Math.max(perSeqWindow, Math.floor((o.memoryBytes * wb) / (gb + wb) / windowBlockBytes));
      globalBlocks = Math.max(1, Math.floor((o.memoryBytes - windowBlocks * windowBlockBytes) / globalBlockBytes));
    }
    const globalBytes = globalBlocks * globalBlockBytes;
    const windowBytes = windowBlocks * windowBlockBytes;
    const { buffer, byteOffset } = o.alloc(globalBytes + windowBytes);
    this.region = byteOffset;
    const storage = (at: number, byteLength: number): KVStorage => ({ buffer, byteOffset: at, byteLength, zeroed: true });
    const common = {
      kvHeads: config.nKVHeads, headDim: config.headDim, blockSize: bs, elementType: this.kvType, gc: o.gc, prefixCaching: o.prefixCaching,
    };
    this.global = new PagedKVCache({ ...common, layers: nGlobal, storage: storage(this.region, globalBytes) });
    this.window = new PagedKVCache({ ...common, layers: nWindow, storage: storage(this.region + globalBytes, windowBytes) });
    this.data = new Uint8Array(buffer, this.region, globalBytes + windowBytes);
    this.windowBase = globalBytes;
  }

  hasFreeBlock(): boolean {
    return this.global.availableBlocks() > 0 && this.window.availableBlocks() > 0;
  }

  open(capacity: number, promptTokens?: ArrayLike<number>): HybridSequenceKV {
    const opts = promptTokens === undefined ? undefined : { promptTokens };
    const g = this.global.createSequence(opts);
    const w = this.window.createSequence(opts);
    // Reuse what both groups hold (whole blocks in each; the longer one gives its extra back).
    const reused = Math.min(this.global.sequenceLength(g), this.window.sequenceLength(w));
    if (this.global.sequenceLength(g) > reused) this.global.truncateSequence(g, reused);
    if (this.window.sequenceLength(w) > reused) this.window.truncateSequence(w, reused);
    return new HybridSequenceKV(this, g, w, capacity, this.global.prefixCaching ? promptTokens : undefined);
  }

  step(): void {
    this.global.step();
    this.window.step();
  }
}

/** One sequence over both groups, read by the forward pass through the KVCache interface. */
export class HybridSequenceKV implements SequenceKV {
  readonly kvDim: number;
  readonly type: KVType;
  readonly data: Uint8Array;
  private readonly unitBytes: number;
  private readonly global: PagedKVCache;
  private readonly window: PagedKVCache;
  private readonly group: Uint8Array;
  private readonly index: Int32Array;
  private readonly windowBase: number;
  /** Positions before this are released from the window group (never read: the mask excludes them). */
  private windowStart = 0;

  constructor(
    readonly pools: HybridKVPools,
    /** The sequence in the global pool. */
    readonly globalSeq: number,
    /** The sequence in the window pool. */
    readonly windowSeq: number,
    readonly capacity: number,
    /** The prompt's ids: its window blocks are committed before release, so their chain survives. */
    private readonly prompt?: ArrayLike<number>,
  ) {
    this.global = pools.global;
    this.window = pools.window;
    this.group = pools.group;
    this.index = pools.index;
    this.windowBase = pools.windowBase;
    this.kvDim = pools.global.layout.kvHeads * pools.global.layout.headDim;
    this.type = pools.kvType;
    this.unitBytes = pools.global.layout.elementBytes;
    this.data = pools.data;
  }

  /** Positions whose K/V are present (both groups always hold the same length). */
  get length(): number {
    return this.global.sequenceLength(this.globalSeq);
  }

  /** Window blocks this sequence holds now. */
  get windowBlocksHeld(): number {
    return this.window.blockTable(this.windowSeq).length - this.window.releasedTokens(this.windowSeq) / this.window.blockSize;
  }

  reserve(end: number): void {
    if (end > this.capacity) throw new RangeError(`KV cache holds ${this.capacity} positions, ${end} requested`);
    const have = this.length;
    if (end <= have) return;
    this.releaseExpired(have);
    const n = end - have;
    // All or nothing across the two pools: check both before taking from either.
    const needG = this.global.blocksNeeded(this.globalSeq, n);
    const haveG = this.global.availableBlocks();
    if (needG > haveG) throw new KVCacheOutOfBlocksError(needG, haveG);
    const needW = this.window.blocksNeeded(this.windowSeq, n);
    const haveW = this.window.availableBlocks();
    if (needW > haveW) throw new KVCacheOutOfBlocksError(needW, haveW);
    this.global.appendSlots(this.globalSeq, n);
    this.window.appendSlots(this.windowSeq, n);
  }

  canReserve(end: number): boolean {
    const have = this.length;
    this.releaseExpired(have);
    const n = Math.max(0, end - have);
    return (
      this.global.blocksNeeded(this.globalSeq, n) <= this.global.availableBlocks() &&
      this.window.blocksNeeded(this.windowSeq, n) <= this.window.availableBlocks()
    );
  }

  outOfBlocks(end: number): KVCacheOutOfBlocksError {
    const n = Math.max(0, end - this.length);
    const needW = this.window.blocksNeeded(this.windowSeq, n);
    const haveW = this.window.availableBlocks();
    if (needW > haveW) return new KVCacheOutOfBlocksError(needW, haveW);
    return new KVCacheOutOfBlocksError(this.global.blocksNeeded(this.globalSeq, n), this.global.availableBlocks());
  }

  commit(tokens: ArrayLike<number>, count: number): void {
    this.global.commitTokens(this.globalSeq, tokens, count);
    this.window.commitTokens(this.windowSeq, tokens, count);
  }

  kOffset(layer: number, pos: number): number {
    if (this.group[layer] === 0) return this.global.slotOffset(this.globalSeq, pos, this.index[layer], 'k') * this.unitBytes;
    if (pos < this.windowStart) this.released(pos);
    return this.windowBase + this.window.slotOffset(this.windowSeq, pos, this.index[layer], 'k') * this.unitBytes;
  }

  vOffset(layer: number, pos: number): number {
    if (this.group[layer] === 0) return this.global.slotOffset(this.globalSeq, pos, this.index[layer], 'v') * this.unitBytes;
    if (pos < this.windowStart) this.released(pos);
    return this.windowBase + this.window.slotOffset(this.windowSeq, pos, this.index[layer], 'v') * this.unitBytes;
  }

  truncate(length: number): void {
    if (length !== this.length) throw new RangeError('a paged sequence cannot be truncated; start a new sequence');
  }

  dispose(): void {
    this.global.freeSequence(this.globalSeq);
    this.window.freeSequence(this.windowSeq);
  }

  /**
   * The next token computed is at `next` or later: no sliding-window layer reads a position
   * before next − W + 1 again, so the window blocks wholly before it go back to the pool.
   */
  private releaseExpired(next: number): void {
    const before = next - this.pools.slidingWindow + 1;
    if (before - this.windowStart < this.window.blockSize) return;
    // Positions before `next` are computed; a prompt's are hashed now, or never.
    if (this.prompt !== undefined) this.window.commitTokens(this.windowSeq, this.prompt, Math.min(next, this.prompt.length));
    this.window.releaseBlocksBefore(this.windowSeq, before);
    this.windowStart = this.window.releasedTokens(this.windowSeq);
  }

  private released(pos: number): never {
    throw new KVPositionError(this.windowSeq, pos, this.length);
  }
}
