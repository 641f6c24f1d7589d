/**
 * Two looks at the cache's bookkeeping, recomputed from scratch (O(pool + tables); for tests,
 * soaks and debugging, not the serving loop):
 *
 * - `auditCache`: a full consistency check that throws on the first mismatch: every block is in
 *   exactly one place (free stack, scrub queue, prefix LRU, or the tables that count it),
 *   refcounts equal the references, the prefix hash table and chains are coherent, and the
 *   running counters match.
 * - `countLeaks`: where the blocks are, as counts, with the blocks that are nowhere (leaked).
 */
import { KVInvariantError } from './errors.js';
import { BLOCK_CACHED, BLOCK_DIRTY, BLOCK_FREE, BLOCK_USED, type BlockPool } from './pool.js';
import type { PrefixCache } from './prefix.js';
import type { SwapSpace } from './swap.js';
import { SEQ_RESIDENT, SEQ_SWAPPED, type SequenceTable } from './table.js';

export interface AuditedParts {
  pool: BlockPool;
  prefix: PrefixCache;
  seqs: SequenceTable;
  swap: SwapSpace;
  usedBlocks: number;
  usedSlotsFilled: number;
}

function fail(message: string): never {
  throw new KVInvariantError(message);
}

/** Where a cache's blocks are (`PagedKVCache.audit()`). */
export interface KVAudit {
  /** Sequences not yet freed (resident or swapped out); each holds its blocks or swap slots. */
  liveSequences: number;
  /** Blocks referenced by the block tables of resident sequences. */
  blocksHeld: number;
  /** Blocks on the free stack (clean, or stale under 'off'). */
  blocksFree: number;
  /** Freed blocks waiting in the scrub queue. */
  blocksAwaitingScrub: number;
  /** Unreferenced blocks the prefix cache keeps (in its LRU list). */
  blocksCached: number;
  /**
   * Blocks that are neither held by a live sequence nor on the free stack, the scrub queue or the
   * prefix LRU: lost to the pool for good. 0 unless the cache has a bug.
   */
  blocksLeaked: number;
  /** Swap slots in use that no swapped-out sequence references. */
  swapSlotsLeaked: number;
  /** auditCache's message for the first bookkeeping inconsistency, or undefined when consistent. */
  invariantViolation: string | undefined;
}

export function countLeaks(parts: AuditedParts): KVAudit {
  const { pool, prefix, seqs, swap } = parts;
  const capacity = pool.capacity;
  const accounted = new Uint8Array(capacity);
  const swapHeld = new Uint8Array(swap.capacity);
  let liveSequences = 0;
  let blocksHeld = 0;
  for (let slot = 0; slot < seqs.slotsUsed; slot++) {
    const state = seqs.state[slot];
    if (state !== SEQ_RESIDENT && state !== SEQ_SWAPPED) continue;
    liveSequences++;
    const table = seqs.tables[slot];
    for (let i = seqs.firstBlock[slot]; i < seqs.numBlocks[slot]; i++) {
      const b = table[i];
      if (state === SEQ_SWAPPED) {
        if (b >= 0 && b < swap.capacity) swapHeld[b] = 1;
      } else if (b >= 0 && b < capacity && accounted[b] === 0) {
        accounted[b] = 1;
        blocksHeld++;
      }
    }
  }
  const reachable = (b: number): number => (b >= 0 && b < capacity && accounted[b] === 0 ? (accounted[b] = 1) : 0);
  let blocksFree = 0;
  for (let i = 0; i < pool.freeCount; i++) blocksFree += reachable(pool.freeEntry(i));
  let blocksAwaitingScrub = 0;
  for (let i = 0; i < pool.dirtyCount; i++) blocksAwaitingScrub += reachable(pool.dirtyEntry(i));
  let blocksCached = 0;
  for (let b = prefix.lruFirst(), n = 0; b >= 0 && n < capacity; b = prefix.lruAfter(b), n++) blocksCached += reachable(b);
  let swapSlotsLeaked = 0;
  for (let s = 0; s < swap.capacity; s++) if (swap.inUse[s] === 1 && swapHeld[s] === 0) swapSlotsLeaked++;
  let invariantViolation: string | undefined;
  try {
    auditCache(parts);
  } catch (err) {
    if (!(err instanceof KVInvariantError)) throw err;
    invariantViolation = err.message;
  }
  return {
    liveSequences,
    blocksHeld,
    blocksFree,
    blocksAwaitingScrub,
    blocksCached,
    blocksLeaked: capacity - blocksHeld - blocksFree - blocksAwaitingScrub - blocksCached,
    swapSlotsLeaked,
    invariantViolation,
  };
}

export function auditCache({ pool, prefix, seqs, swap, usedBlocks, usedSlotsFilled }: AuditedParts): void {
  const capacity = pool.capacity;
  const { blockShift, blockSize } = pool.layout;
  const refs = new Int32Array(capacity);
  const swapRefs = new Int32Array(swap.capacity);
  let resident = 0;
  let swapped = 0;

  for (let slot = 0; slot < seqs.slotsUsed; slot++) {
    const state = seqs.state[slot];
    if (state !== SEQ_RESIDENT && state !== SEQ_SWAPPED) continue;
    const seq = seqs.idOf(slot);
    const tokens = seqs.numTokens[slot];
    const nb = seqs.numBlocks[slot];
    const table = seqs.tables[slot];
    const first = seqs.firstBlock[slot];
    if (first < 0 || first > tokens >> blockShift) fail(`sequence ${seq}: ${first} released blocks of ${tokens} tokens`);
    for (let i = 0; i < first; i++) if (table[i] !== -1) fail(`sequence ${seq}: released entry ${i} still names block ${table[i]}`);
    if (nb !== (tokens + blockSize - 1) >> blockShift) fail(`sequence ${seq}: ${nb} blocks for ${tokens} tokens`);
    if (seqs.committed[slot] > tokens) fail(`sequence ${seq}: ${seqs.committed[slot]} committed of ${tokens} tokens`);
    const hashed = seqs.hashedBlocks[slot];
    if (hashed > seqs.committed[slot] >> blockShift) fail(`sequence ${seq}: ${hashed} hashed blocks beyond its committed tokens`);
    if (state === SEQ_SWAPPED) {
      swapped++;
      for (let i = first; i < nb; i++) {
        const s = table[i];
        if (!(s >= 0 && s < swap.capacity) || swap.inUse[s] !== 1) fail(`sequence ${seq}: bad swap slot ${s}`);
        swapRefs[s]++;
      }
      continue;
    }
    resident++;
    for (let i = first; i < nb; i++) {
      const b = table[i];
      if (!(b >= 0 && b < capacity)) fail(`sequence ${seq}: block ${b} outside the pool`);
      refs[b]++;
      const inBlock = Math.min(blockSize, tokens - i * blockSize);
      if (pool.fill[b] < inBlock) fail(`block ${b}: fill ${pool.fill[b]} below the ${inBlock} tokens of sequence ${seq}`);
      if (i < hashed) {
        if (prefix.hashed[b] !== 1) fail(`sequence ${seq}: chain block ${i} (${b}) is not registered`);
        // The first held block's predecessor was released: its link cannot be checked from here.
        if (i > 0 && i === first) continue;
        const parent = i === 0 ? -1 : table[i - 1];
        if (prefix.parent[b] !== parent || (parent >= 0 && prefix.parentGen[b] !== prefix.gen[parent])) {
          fail(`sequence ${seq}: chain block ${i} (${b}) is not linked to its predecessor`);
        }
      }
    }
  }
  if (resident !== seqs.residentCount || swapped !== seqs.swappedCount) {
    fail(`sequence counts ${seqs.residentCount}/${seqs.swappedCount}, found ${resident}/${swapped}`);
  }

  let used = 0;
  let filled = 0;
  const counts = [0, 0, 0, 0];
  for (let b = 0; b < capacity; b++) {
    const state = pool.state[b];
    if (state > BLOCK_CACHED) fail(`block ${b}: unknown state ${state}`);
    counts[state]++;
    if (pool.refcount[b] !== refs[b]) fail(`block ${b}: refcount ${pool.refcount[b]} but ${refs[b]} table reference(s)`);
    if ((state === BLOCK_USED) !== refs[b] > 0) fail(`block ${b}: state ${state} with ${refs[b]} reference(s)`);
    if (state === BLOCK_USED) {
      used++;
      filled += pool.fill[b];
    }
    if (prefix.hashed[b] === 1 && state !== BLOCK_USED && state !== BLOCK_CACHED) fail(`block ${b}: registered but state ${state}`);
    if (state === BLOCK_CACHED && prefix.hashed[b] !== 1) fail(`block ${b}: cached but not registered`);
    if (pool.stale[b] === 1 && state !== BLOCK_FREE) fail(`block ${b}: stale (unscrubbed) but state ${state}`);
  }
  if (used !== usedBlocks) fail(`used-block counter ${usedBlocks}, found ${used}`);
  if (filled !== usedSlotsFilled) fail(`filled-slot counter ${usedSlotsFilled}, found ${filled}`);

  const seen = new Uint8Array(capacity);
  if (counts[BLOCK_FREE] !== pool.freeCount) fail(`${counts[BLOCK_FREE]} free blocks, free stack holds ${pool.freeCount}`);
  for (let i = 0; i < pool.freeCount; i++) {
    const b = pool.freeEntry(i);
    if (pool.state[b] !== BLOCK_FREE || seen[b]++) fail(`free stack entry ${b} is not a distinct free block`);
  }
  if (counts[BLOCK_DIRTY] !== pool.dirtyCount) fail(`${counts[BLOCK_DIRTY]} dirty blocks, scrub queue holds ${pool.dirtyCount}`);
  for (let i = 0; i < pool.dirtyCount; i++) {
    const b = pool.dirtyEntry(i);
    if (pool.state[b] !== BLOCK_DIRTY || seen[b]++) fail(`scrub queue entry ${b} is not a distinct dirty block`);
  }
  let lru = 0;
  for (let b = prefix.lruFirst(); b >= 0; b = prefix.lruAfter(b)) {
    if (pool.state[b] !== BLOCK_CACHED || seen[b]++ || ++lru > capacity) fail(`LRU entry ${b} is not a distinct cached block`);
  }
  if (lru !== counts[BLOCK_CACHED] || lru !== prefix.cachedCount) {
    fail(`LRU holds ${lru} blocks, ${counts[BLOCK_CACHED]} cached, counter ${prefix.cachedCount}`);
  }

  const entries = new Int32Array(capacity);
  prefix.countTableEntries(entries);
  let registered = 0;
  for (let b = 0; b < capacity; b++) {
    if (entries[b] !== prefix.hashed[b]) fail(`block ${b}: ${entries[b]} hash-table entries, registered ${prefix.hashed[b]}`);
    if (prefix.hashed[b] === 1) {
      registered++;
      if (!prefix.reachable(b)) fail(`block ${b}: unreachable from its hash bucket`);
    }
  }
  if (registered !== prefix.hashedCount) fail(`registered counter ${prefix.hashedCount}, found ${registered}`);

  let swapUsed = 0;
  for (let s = 0; s < swap.capacity; s++) {
    if (swapRefs[s] !== swap.inUse[s]) fail(`swap slot ${s}: in use ${swap.inUse[s]}, referenced ${swapRefs[s]} time(s)`);
    swapUsed += swap.inUse[s];
  }
  if (swapUsed !== swap.usedCount) fail(`swap counter ${swap.usedCount}, found ${swapUsed}`);
}
