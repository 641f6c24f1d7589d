/**
 * @legato/kvcache — a paged KV cache (vLLM PagedAttention style) with prefix caching, swapping
 * and a configurable garbage collector. Bookkeeping lives in typed arrays, so the decode loop
 * creates no JavaScript garbage.
 *
 * @example
 * ```ts
 * import { PagedKVCache } from '@legato/kvcache';
 *
 * const cache = new PagedKVCache({
 *   layers: 22, kvHeads: 4, headDim: 64,        // model shape (f32 K/V by default)
 *   blockSize: 16,
 *   memoryBytes: 1 << 30,                       // 1 GiB budget → numBlocks
 *   storage: (n) => ({ buffer: arena.buffer, byteOffset: arena.alloc(n), byteLength: n, zeroed: true }),
 *   gc: { policy: 'incremental', budget: { blocks: 8, microseconds: 300 } },
 *   swapBytes: 512 << 20,
 * });
 *
 * // Prefill: reuse cached prompt blocks, compute the rest.
 * const seq = cache.createSequence({ promptTokens: prompt });
 * const done = cache.sequenceLength(seq);       // tokens already computed (cached prefix)
 * cache.appendSlots(seq, prompt.length - done);
 * // ... forward pass writes K/V for positions done..prompt.length-1 at cache.slotOffset(...) ...
 * cache.commitTokens(seq, prompt);              // registers full blocks for reuse
 *
 * // Decode: one token per step.
 * const kv = cache.f32;
 * const { slotStride, blockShift, blockMask } = cache.layout;
 * for (;;) {
 *   cache.appendSlots(seq, 1);
 *   const pos = cache.sequenceLength(seq) - 1;
 *   for (let layer = 0; layer < 22; layer++) {
 *     kv.set(kRow, cache.slotOffset(seq, pos, layer, 'k'));   // write this token's K and V
 *     kv.set(vRow, cache.slotOffset(seq, pos, layer, 'v'));
 *     // Attention: walk the block table; each block is a dense run of rows.
 *     const table = cache.blockTable(seq);
 *     for (let i = 0; i < table.length; i++) {
 *       const kBase = cache.layout.blockOffset(table.blocks[i], layer, 'k');
 *       const vBase = cache.layout.blockOffset(table.blocks[i], layer, 'v');
 *       const slots = Math.min(cache.blockSize, table.tokens - (i << blockShift));
 *       for (let s = 0; s < slots; s++) {
 *         // k[kBase + s * slotStride + d], v[vBase + s * slotStride + d]
 *       }
 *     }
 *   }
 *   tokens.push(next);
 *   cache.commitTokens(seq, tokens);
 *   cache.step();                                // drives periodic / incremental GC
 *   if (finished) break;
 * }
 * cache.freeSequence(seq);
 *
 * cache.onGc((e) => console.log(e.policy, e.durationMs, e.blocksScrubbed));
 * console.log(cache.stats());
 * ```
 */
export { PagedKVCache } from './cache.js';
export type { CreateSequenceOptions, PagedKVCacheOptions, PrefixMatch } from './cache.js';
export { KVStorageLayout } from './layout.js';
export type { KVElementType, KVKind, KVShape } from './layout.js';
export { resolveStorage } from './storage.js';
export type { KVStorage, KVStorageFactory } from './storage.js';
export { BlockPool, BLOCK_CACHED, BLOCK_DIRTY, BLOCK_FREE, BLOCK_USED } from './pool.js';
export type { BlockState } from './pool.js';
export { PrefixCache, chainHash, ROOT_HASH_HI, ROOT_HASH_LO } from './prefix.js';
export type { PrefixHashFunction } from './prefix.js';
export { SequenceTable, sequenceSlot, SEQ_FREE, SEQ_RESIDENT, SEQ_SWAPPED } from './table.js';
export type { BlockTableView } from './table.js';
export { SwapSpace } from './swap.js';
export { GarbageCollector } from './gc.js';
export type { GcConfig, GcEvent, GcListener, GcPolicy, GcReason } from './gc.js';
export { createKVCacheStats } from './stats.js';
export type { KVCacheStats, KVGcStats, KVPrefixStats, KVSwapStats } from './stats.js';
export { auditCache, countLeaks } from './audit.js';
export type { AuditedParts, KVAudit } from './audit.js';
export {
  KVCacheError,
  KVCacheOutOfBlocksError,
  KVConfigError,
  KVDoubleFreeError,
  KVForeignBlockError,
  KVFreeBlockCorruptedError,
  KVInvalidSequenceError,
  KVInvariantError,
  KVPositionError,
  KVSequenceStateError,
  KVSwapSpaceFullError,
  KVUseAfterFreeError,
} from './errors.js';
