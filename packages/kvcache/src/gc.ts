/**
 * The KV-cache garbage collector. Its work, whatever the policy:
 *
 * - evict: unreferenced cached prefix blocks beyond `retainCachedBlocks` leave the prefix cache,
 *   least recently used first;
 * - scrub: freed blocks are zeroed before they can be handed to another sequence, so no K/V data
 *   crosses from one request to another;
 * - verify (full sweeps and incremental passes): every free block is read back and must still be
 *   zero — a write through a stale block table after a free is caught here;
 * - compact: the free stack is rebuilt in block order so the next allocations are the lowest free
 *   blocks, ascending (contiguous runs).
 *
 * Policies decide when that work happens:
 *
 * - 'eager': at free time. Every operation that frees blocks (freeSequence, swapOut, eviction)
 *   scrubs them, evicts beyond the retention limit and compacts before it returns. Freeing costs
 *   a scrub of what was freed; decode steps cost nothing.
 * - 'periodic': a stop-the-world sweep every `intervalTokens` calls of `step()` (or earlier, when
 *   the fraction of blocks not on the clean free stack reaches `watermark` and there is
 *   reclaimable work). The sweep scrubs everything freed since the last one and verifies the whole
 *   free list, so its pause grows with the pool: this is the "stutter every ~50 tokens" design.
 * - 'incremental': the same work in slices, each `step()` doing at most `budget.blocks` block
 *   scrubs/verifications and stopping once `budget.microseconds` have passed; a verification pass
 *   over the pool starts every `intervalTokens` steps and the free stack is compacted when it ends.
 * - 'off': no collector work at all: freed blocks go straight back to the free stack, marked
 *   stale instead of scrubbed, nothing is verified, and nothing is evicted except under
 *   allocation pressure. Each stale block is scrubbed when an allocation takes it (counted in
 *   `lazyScrubs`): a memset of one block per allocation, where the other policies pay for the
 *   scrub when (or after) the block is freed. Isolation is the same for every policy.
 *
 * With 'periodic' and 'incremental', freed blocks wait in a scrub queue and are never handed out
 * unscrubbed. When an allocation finds no clean free block it scrubs a queued block on demand
 * (counted in `onDemandScrubs`), and only then evicts the least recently used cached block
 * (scrubbing it too).
 *
 * So under every policy a block reaches a new holder all zeros — no sequence ever sees another's
 * keys or values — except when the prefix cache hands out a block on purpose for the very tokens
 * it holds.
 */
import { KVFreeBlockCorruptedError } from './errors.js';
import { PauseTimer, type PauseStats } from './pause-timer.js';
import { BLOCK_FREE, type BlockPool } from './pool.js';
import type { PrefixCache } from './prefix.js';

export type GcPolicy = 'eager' | 'periodic' | 'incremental' | 'off';

/** Garbage collector configuration (`PagedKVCacheOptions.gc`). */
export interface GcConfig {
  /** Default 'eager'. */
  policy?: GcPolicy;
  /** Decode steps between periodic sweeps, and between incremental verification passes. Default 50. */
  intervalTokens?: number;
  /** Periodic: sweep early once this fraction of blocks (0..1) is not clean-free. Default 0.9. */
  watermark?: number;
  /**
   * Incremental: work per step. Defaults: 8 blocks, 500 µs, whichever ends first (time budgets
   * beyond ~1.07 s count as that).
   */
  budget?: { blocks?: number; microseconds?: number };
  /** Unreferenced cached prefix blocks to keep; more are evicted by GC cycles. Default: no limit. */
  retainCachedBlocks?: number;
  /** Verify free blocks are still zero in sweeps/passes. Default true (ignored under 'off'). */
  verifyFreeBlocks?: boolean;
}

/** Why a GC cycle ran. */
export type GcReason = 'free' | 'interval' | 'watermark' | 'slice' | 'manual';

/**
 * One GC cycle (an eager free-time cycle, a periodic sweep, an incremental slice or a manual
 * `collect()`). Listeners receive the same object each time, refilled: copy what you keep.
 */
export interface GcEvent {
  policy: GcPolicy;
  reason: GcReason;
  /** When the cycle started, in ms on performance.now()'s timebase. */
  startTime: number;
  durationMs: number;
  blocksEvicted: number;
  blocksScrubbed: number;
  bytesScrubbed: number;
  /** Free blocks read back and found zero (or scrubbed again if not). */
  blocksVerified: number;
  /** Whether the free stack was rebuilt in block order. */
  freeListCompacted: boolean;
}

export type GcListener = (event: Readonly<GcEvent>) => void;

const POLICIES: readonly GcPolicy[] = ['eager', 'periodic', 'incremental', 'off'];

export class GarbageCollector {
  readonly policy: GcPolicy;
  readonly intervalTokens: number;
  readonly watermark: number;
  readonly budgetBlocks: number;
  readonly budgetMicroseconds: number;
  readonly retainCachedBlocks: number;
  readonly verifyFreeBlocks: boolean;

  // Counters for stats().
  cycles = 0;
  blocksEvicted = 0;
  blocksScrubbed = 0;
  blocksVerified = 0;
  corruptBlocksFound = 0;
  onDemandScrubs = 0;
  /** 'off': stale free blocks scrubbed as an allocation took them (not in `blocksScrubbed`). */
  lazyScrubs = 0;

  private tokensSinceCycle = 0;
  /** Next block an incremental verification pass inspects; `capacity` when no pass is running. */
  private verifyCursor: number;
  /** Incremental: a pass (or interval) ended and the free stack should be compacted once drained. */
  private compactPending = false;
  private listeners: GcListener[] = [];
  private readonly event: GcEvent;
  // Per-cycle tallies.
  private cycleEvicted = 0;
  private cycleScrubbed = 0;
  private cycleVerified = 0;
  private readonly timer: PauseTimer;
  // Integer forms of the limits, so the per-step checks compute no doubles (see PauseTimer).
  /** Blocks not clean-free from which `usage() >= watermark`; capacity + 1 if never. */
  private readonly watermarkBlocks: number;
  /** `retainCachedBlocks`, whole and at most the pool size (Infinity is not a small integer). */
  private readonly keepCached: number;
  /** `budgetBlocks`, at most what one slice could ever do (a scrub and a verification per block). */
  private readonly sliceBlocks: number;

  constructor(
    private readonly pool: BlockPool,
    private readonly prefix: PrefixCache,
    config: GcConfig = {},
    private readonly debug = false,
  ) {
    const policy = config.policy ?? 'eager';
    if (!POLICIES.includes(policy)) throw new RangeError(`unknown GC policy ${String(policy)}`);
    this.policy = policy;
    this.intervalTokens = config.intervalTokens ?? 50;
    if (!(this.intervalTokens >= 1)) throw new RangeError(`gc.intervalTokens must be ≥ 1, got ${this.intervalTokens}`);
    this.watermark = config.watermark ?? 0.9;
    if (!(this.watermark >= 0 && this.watermark <= 1)) throw new RangeError(`gc.watermark must be in 0..1, got ${this.watermark}`);
    this.budgetBlocks = config.budget?.blocks ?? 8;
    this.budgetMicroseconds = config.budget?.microseconds ?? 500;
    if (!(this.budgetBlocks >= 1) || !(this.budgetMicroseconds > 0)) {
      throw new RangeError('gc.budget.blocks must be ≥ 1 and gc.budget.microseconds > 0');
    }
    this.retainCachedBlocks = config.retainCachedBlocks ?? Number.POSITIVE_INFINITY;
    if (!(this.retainCachedBlocks >= 0)) throw new RangeError(`gc.retainCachedBlocks must be ≥ 0`);
    this.keepCached = Math.floor(Math.min(this.retainCachedBlocks, pool.capacity));
    this.sliceBlocks = Math.ceil(Math.min(this.budgetBlocks, 2 * pool.capacity));
    this.watermarkBlocks = this.firstBlocksAtWatermark();
    this.timer = new PauseTimer(this.budgetMicroseconds);
    this.verifyFreeBlocks = (config.verifyFreeBlocks ?? true) && policy !== 'off';
    this.verifyCursor = pool.capacity;
    this.event = {
      policy,
      reason: 'manual',
      startTime: 0,
      durationMs: 0,
      blocksEvicted: 0,
      blocksScrubbed: 0,
      bytesScrubbed: 0,
      blocksVerified: 0,
      freeListCompacted: false,
    };
  }

  /** Subscribes to GC cycle events; returns the unsubscribe function. */
  onGc(listener: GcListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Sum of all cycle pauses, ms. */
  get totalPauseMs(): number {
    return this.timer.totalMs;
  }

  /** Longest cycle pause, ms. */
  get maxPauseMs(): number {
    return this.timer.maxMs;
  }

  /** Latest cycle pause, ms. */
  get lastPauseMs(): number {
    return this.timer.lastMs;
  }

  /** Writes totalPauseMs, maxPauseMs and lastPauseMs into `out` (allocation-free, unlike the getters). */
  reportPauses(out: PauseStats): void {
    this.timer.report(out);
  }

  /** Bytes scrubbed so far. */
  get bytesScrubbed(): number {
    return this.blocksScrubbed * this.pool.bytesPerBlock;
  }

  /** Takes a block whose last reference is gone and that the prefix cache does not keep. */
  unreferenced(block: number): void {
    if (this.policy === 'off') this.pool.pushFreeStale(block);
    else this.pool.pushDirty(block);
  }

  /** Scrubs a stale block an allocation just took off the free stack ('off' only). */
  scrubStale(block: number): void {
    this.pool.scrub(block);
    this.lazyScrubs++;
  }

  /** Called after an operation released blocks: the eager policy does its work now. */
  afterRelease(): void {
    if (this.policy !== 'eager') return;
    if (this.pool.dirtyCount > 0 || this.prefix.cachedCount > this.keepCached) this.cycle('free', false);
  }

  /** One decode step of `tokens` tokens (normally 1): runs periodic sweeps and incremental slices. */
  step(tokens: number): void {
    this.tokensSinceCycle += tokens;
    if (this.policy === 'periodic') {
      if (this.tokensSinceCycle >= this.intervalTokens) this.cycle('interval', true);
      else if (this.pool.capacity - this.pool.freeCount >= this.watermarkBlocks && this.hasReclaimableWork()) {
        this.cycle('watermark', true);
      }
    } else if (this.policy === 'incremental') {
      this.slice();
    }
  }

  /** A full sweep now, whatever the policy (under 'off': eviction beyond retention and compaction only). */
  collect(): void {
    this.cycle('manual', true);
  }

  /**
   * A block for an allocation that found the free stack empty: a queued block scrubbed on the
   * spot, else the least recently used cached block (evicted and scrubbed); -1 if neither
   * exists. The caller claims it.
   */
  reclaim(): number {
    let block = this.pool.popDirty();
    if (block < 0) {
      block = this.evictOne();
      if (block < 0) return -1;
      if (this.policy === 'off') {
        // Every scrub under 'off' is an allocation's own (blocksScrubbed stays the collector's).
        this.scrubStale(block);
        return block;
      }
    }
    this.pool.scrub(block);
    this.blocksScrubbed++;
    this.onDemandScrubs++;
    return block;
  }

  /** Evicts up to `max` unreferenced cached blocks, oldest first, as freed blocks; returns how many. */
  evict(max: number): number {
    let n = 0;
    while (n < max) {
      const block = this.evictOne();
      if (block < 0) break;
      this.unreferenced(block);
      n++;
    }
    return n;
  }

  /** Fraction of blocks that are not on the clean free stack. */
  usage(): number {
    return 1 - this.pool.freeCount / this.pool.capacity;
  }

  /** The smallest count of not-clean-free blocks at which `usage()` reaches the watermark. */
  private firstBlocksAtWatermark(): number {
    const capacity = this.pool.capacity;
    // usage() grows with the count, so bisect on exactly the expression it evaluates.
    let lo = 0;
    let hi = capacity + 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (mid <= capacity && 1 - (capacity - mid) / capacity >= this.watermark) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private hasReclaimableWork(): boolean {
    return this.pool.dirtyCount > 0 || this.prefix.cachedCount > this.keepCached;
  }

  private evictOne(): number {
    const block = this.prefix.lruPopOldest();
    if (block < 0) return -1;
    this.prefix.unregister(block);
    this.blocksEvicted++;
    this.cycleEvicted++;
    return block;
  }

  private evictBeyondRetention(): void {
    const excess = this.prefix.cachedCount - this.keepCached;
    if (excess > 0) this.evict(excess);
  }

  private scrubQueued(): boolean {
    const block = this.pool.popDirty();
    if (block < 0) return false;
    this.pool.scrub(block);
    this.pool.pushFree(block);
    this.blocksScrubbed++;
    this.cycleScrubbed++;
    return true;
  }

  private verify(block: number): void {
    this.blocksVerified++;
    this.cycleVerified++;
    if (this.pool.isZero(block)) return;
    this.corruptBlocksFound++;
    if (this.debug) throw new KVFreeBlockCorruptedError(block);
    this.pool.scrub(block);
    this.blocksScrubbed++;
    this.cycleScrubbed++;
  }

  /** An eager cycle (full = false) or a stop-the-world sweep (full = true). */
  private cycle(reason: GcReason, full: boolean): void {
    this.beginCycle();
    this.evictBeyondRetention();
    if (this.policy !== 'off') while (this.scrubQueued());
    if (full && this.verifyFreeBlocks) {
      const state = this.pool.state;
      for (let b = 0; b < this.pool.capacity; b++) if (state[b] === BLOCK_FREE) this.verify(b);
    }
    // A sweep always rebuilds (it inspects the whole pool); an eager cycle only when unordered.
    const compact = full || !this.pool.freeSorted;
    if (compact) this.pool.rebuildFreeList();
    this.tokensSinceCycle = 0;
    this.verifyCursor = this.pool.capacity;
    this.compactPending = false;
    this.endCycle(reason, compact);
  }

  private slice(): void {
    const capacity = this.pool.capacity;
    if (this.tokensSinceCycle >= this.intervalTokens && this.verifyCursor >= capacity) {
      this.tokensSinceCycle = 0;
      if (this.verifyFreeBlocks) this.verifyCursor = 0;
      else this.compactPending = true;
    }
    const passRunning = this.verifyCursor < capacity;
    if (!passRunning && !this.hasReclaimableWork() && !(this.compactPending && !this.pool.freeSorted)) {
      this.compactPending = false;
      return;
    }
    this.beginCycle();
    this.evictBeyondRetention();
    let work = 0;
    while (work < this.sliceBlocks && this.scrubQueued()) {
      work++;
      if (this.timer.expired()) break;
    }
    const state = this.pool.state;
    // The clock is read only after real work: skipping used blocks costs nothing worth timing.
    let timeLeft = work === 0 || !this.timer.expired();
    while (timeLeft && this.verifyCursor < capacity && work < this.sliceBlocks) {
      const b = this.verifyCursor++;
      if (state[b] !== BLOCK_FREE) continue;
      this.verify(b);
      work++;
      timeLeft = !this.timer.expired();
    }
    if (passRunning && this.verifyCursor >= capacity) this.compactPending = true;
    let compacted = false;
    // Compact once per pass (not every slice), after the scrub queue has drained into the stack.
    if (this.compactPending && this.pool.dirtyCount === 0) {
      this.compactPending = false;
      if (!this.pool.freeSorted) {
        this.pool.rebuildFreeList();
        compacted = true;
      }
    }
    this.endCycle('slice', compacted);
  }

  private beginCycle(): void {
    this.timer.begin(this.listeners.length > 0);
    this.cycleEvicted = 0;
    this.cycleScrubbed = 0;
    this.cycleVerified = 0;
  }

  private endCycle(reason: GcReason, compacted: boolean): void {
    this.timer.end();
    this.cycles++;
    const listeners = this.listeners;
    if (listeners.length === 0) return;
    const e = this.event;
    e.reason = reason;
    this.timer.describe(e);
    e.blocksEvicted = this.cycleEvicted;
    e.blocksScrubbed = this.cycleScrubbed;
    e.bytesScrubbed = this.cycleScrubbed * this.pool.bytesPerBlock;
    e.blocksVerified = this.cycleVerified;
    e.freeListCompacted = compacted;
    for (let i = 0; i < listeners.length; i++) listeners[i](e);
  }
}
