/** Small shapes and data helpers shared by the kvcache tests. */
import { PagedKVCache, type PagedKVCacheOptions } from '../src/index.js';

/** 2 layers × 1 KV head × 4 dims, 8-slot blocks: 2·2·8·4 = 128 f32 elements = 512 bytes per block. */
export const TINY = { layers: 2, kvHeads: 1, headDim: 4, blockSize: 8 } as const;
export const TINY_BLOCK_BYTES = 512;

export function tinyCache(blocks: number, extra: Partial<PagedKVCacheOptions> = {}): PagedKVCache {
  return new PagedKVCache({ ...TINY, memoryBytes: blocks * TINY_BLOCK_BYTES, ...extra });
}

/** Writes `value + d` into every element of the K row and `-(value + d)` into the V row of every layer at `pos`. */
export function writeToken(cache: PagedKVCache, seq: number, pos: number, value: number): void {
  const kv = cache.f32;
  const { layers, slotStride } = cache.layout;
  for (let layer = 0; layer < layers; layer++) {
    const k = cache.slotOffset(seq, pos, layer, 'k');
    const v = cache.slotOffset(seq, pos, layer, 'v');
    for (let d = 0; d < slotStride; d++) {
      kv[k + d] = value + d + layer * 1000;
      kv[v + d] = -(value + d + layer * 1000);
    }
  }
}

/** True when every element of the token's K and V rows holds what writeToken(value) wrote. */
export function holdsToken(cache: PagedKVCache, seq: number, pos: number, value: number): boolean {
  const kv = cache.f32;
  const { layers, slotStride } = cache.layout;
  for (let layer = 0; layer < layers; layer++) {
    const k = cache.slotOffset(seq, pos, layer, 'k');
    const v = cache.slotOffset(seq, pos, layer, 'v');
    for (let d = 0; d < slotStride; d++) {
      if (kv[k + d] !== value + d + layer * 1000 || kv[v + d] !== -(value + d + layer * 1000)) return false;
    }
  }
  return true;
}

/** True when every element of physical block `block` is zero. */
export function blockIsZero(cache: PagedKVCache, block: number): boolean {
  const start = block * cache.layout.blockElements;
  const data = cache.f32;
  for (let i = start; i < start + cache.layout.blockElements; i++) if (data[i] !== 0) return false;
  return true;
}

/** The physical blocks of a sequence, copied out of its table view. */
export function blocksOf(cache: PagedKVCache, seq: number): number[] {
  const t = cache.blockTable(seq);
  return Array.from(t.blocks.subarray(0, t.length));
}
