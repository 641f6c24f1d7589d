/**
 * The shape of `PagedKVCache.stats()`. `createKVCacheStats()` makes a zeroed object that
 * `stats(out)` refills in place, so a metrics loop can poll without allocating.
 */
import type { GcPolicy } from './gc.js';

export interface KVPrefixStats {
  enabled: boolean;
  /** Prompts looked up (createSequence with promptTokens). */
  queries: number;
  /** Lookups that reused at least one block. */
  hits: number;
  /** Prompt tokens looked up. */
  queryTokens: number;
  /** Prompt tokens served from cached blocks. */
  hitTokens: number;
  /** hitTokens / queryTokens (0 before any query). */
  hitRate: number;
  /** Blocks registered in the prefix cache (referenced or not). */
  registeredBlocks: number;
}

export interface KVSwapStats {
  blocksTotal: number;
  blocksUsed: number;
  bytesTotal: number;
  bytesUsed: number;
  swapOuts: number;
  swapIns: number;
  /** Blocks taken back at swap-in from the prefix cache instead of copied from swap. */
  blocksReclaimed: number;
}

export interface KVGcStats {
  policy: GcPolicy;
  cycles: number;
  blocksEvicted: number;
  blocksScrubbed: number;
  bytesScrubbed: number;
  blocksVerified: number;
  /** Free blocks found holding data (written after their free). */
  corruptBlocksFound: number;
  /** Blocks scrubbed by an allocation that found no clean free block. */
  onDemandScrubs: number;
  /** 'off': freed blocks scrubbed only as an allocation took them (the policy's deferred scrub). */
  lazyScrubs: number;
  totalPauseMs: number;
  maxPauseMs: number;
  lastPauseMs: number;
}

export interface KVCacheStats {
  blockSize: number;
  bytesPerBlock: number;
  blocksTotal: number;
  /** Referenced by at least one sequence. */
  blocksUsed: number;
  /** Unreferenced, kept for prefix reuse (evictable). */
  blocksCached: number;
  /** Clean and ready on the free stack. */
  blocksFree: number;
  /** Freed, waiting for a scrub. */
  blocksAwaitingScrub: number;
  /** blocksUsed / blocksTotal. */
  utilization: number;
  /** Token slots in used blocks. */
  slotsAllocated: number;
  /** Of those, slots holding a token. */
  slotsFilled: number;
  /** (slotsAllocated - slotsFilled) / slotsAllocated; 0 when nothing is allocated. */
  internalFragmentation: number;
  sequencesResident: number;
  sequencesSwapped: number;
  copyOnWrites: number;
  /** Cached blocks evicted, by GC cycles, allocation pressure or evictCached(). */
  evictions: number;
  prefix: KVPrefixStats;
  swap: KVSwapStats;
  gc: KVGcStats;
}

/** A zeroed stats object to pass to `stats(out)`. */
export function createKVCacheStats(): KVCacheStats {
  return {
    blockSize: 0,
    bytesPerBlock: 0,
    blocksTotal: 0,
    blocksUsed: 0,
    blocksCached: 0,
    blocksFree: 0,
    blocksAwaitingScrub: 0,
    utilization: 0,
    slotsAllocated: 0,
    slotsFilled: 0,
    internalFragmentation: 0,
    sequencesResident: 0,
    sequencesSwapped: 0,
    copyOnWrites: 0,
    evictions: 0,
    prefix: { enabled: false, queries: 0, hits: 0, queryTokens: 0, hitTokens: 0, hitRate: 0, registeredBlocks: 0 },
    swap: { blocksTotal: 0, blocksUsed: 0, bytesTotal: 0, bytesUsed: 0, swapOuts: 0, swapIns: 0, blocksReclaimed: 0 },
    gc: {
      policy: 'eager',
      cycles: 0,
      blocksEvicted: 0,
      blocksScrubbed: 0,
      bytesScrubbed: 0,
      blocksVerified: 0,
      corruptBlocksFound: 0,
      onDemandScrubs: 0,
      lazyScrubs: 0,
      totalPauseMs: 0,
      maxPauseMs: 0,
      lastPauseMs: 0,
    },
  };
}
