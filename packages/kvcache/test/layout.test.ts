import { describe, expect, it } from 'vitest';
import { KVConfigError, KVStorageLayout, PagedKVCache } from '../src/index.js';

describe('KVStorageLayout', () => {
  it('derives bytes per block from layers, KV heads, head size and element type', () => {
    // 22 layers × (K + V) × 16 slots × 4 heads × 64 dims × 4 bytes
    expect(new KVStorageLayout({ layers: 22, kvHeads: 4, headDim: 64 }).bytesPerBlock).toBe(22 * 2 * 16 * 4 * 64 * 4);
    expect(new KVStorageLayout({ layers: 22, kvHeads: 4, headDim: 64, elementType: 'f16' }).bytesPerBlock).toBe(
      22 * 2 * 16 * 4 * 64 * 2,
    );
    expect(new KVStorageLayout({ layers: 2, kvHeads: 1, headDim: 4, blockSize: 32 }).bytesPerBlock).toBe(2 * 2 * 32 * 4 * 4);
  });

  it('lays out block → layer → K rows then V rows → slot → head×dim in storage order', () => {
    const l = new KVStorageLayout({ layers: 3, kvHeads: 2, headDim: 3, blockSize: 8 });
    let expected = 0;
    for (let block = 0; block < 3; block++) {
      for (let layer = 0; layer < 3; layer++) {
        for (const kind of ['k', 'v'] as const) {
          for (let slot = 0; slot < 8; slot++) {
            expect(l.blockOffset(block, layer, kind) + slot * l.slotStride).toBe(expected);
            expect(l.slotOffset(block, slot, layer, kind)).toBe(expected);
            expected += 2 * 3; // one row: kvHeads × headDim
          }
        }
      }
    }
    expect(l.blockElements * 3).toBe(expected);
    expect(l.slotStride).toBe(6);
  });

  it('rejects block sizes other than 8, 16, 32 and non-positive dimensions', () => {
    expect(() => new KVStorageLayout({ layers: 1, kvHeads: 1, headDim: 4, blockSize: 12 })).toThrow(RangeError);
    expect(() => new KVStorageLayout({ layers: 0, kvHeads: 1, headDim: 4 })).toThrow(RangeError);
    expect(() => new KVStorageLayout({ layers: 1, kvHeads: 1.5, headDim: 4 })).toThrow(RangeError);
  });

  it('counts blocks for bytes and tokens', () => {
    const l = new KVStorageLayout({ layers: 1, kvHeads: 1, headDim: 4, blockSize: 16 });
    expect(l.bytesPerBlock).toBe(512);
    expect(l.blocksForBytes(512 * 10 + 511)).toBe(10);
    expect(l.blocksForTokens(0)).toBe(0);
    expect(l.blocksForTokens(1)).toBe(1);
    expect(l.blocksForTokens(16)).toBe(1);
    expect(l.blocksForTokens(17)).toBe(2);
  });
});

describe('storage', () => {
  const shape = { layers: 2, kvHeads: 1, headDim: 4, blockSize: 8 } as const; // 512 bytes per block

  it('sizes the pool from the byte budget', () => {
    const cache = new PagedKVCache({ ...shape, memoryBytes: 512 * 7 + 100 });
    expect(cache.numBlocks).toBe(7);
    expect(cache.storage.byteLength).toBe(512 * 7);
  });

  it('places blocks inside a region of a shared WebAssembly memory, reporting the absolute offset', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
    const byteOffset = 4096;
    const cache = new PagedKVCache({
      ...shape,
      memoryBytes: 512 * 4,
      storage: { buffer: memory.buffer, byteOffset, byteLength: 512 * 4, zeroed: true },
    });
    expect(cache.layout.storageByteOffset).toBe(byteOffset);
    const seq = cache.createSequence();
    cache.appendSlots(seq, 3);
    const off = cache.slotOffset(seq, 2, 1, 'v');
    cache.f32[off + 1] = 42.5;
    // The same element seen through the whole memory at the absolute byte address.
    const whole = new Float32Array(memory.buffer);
    expect(whole[(byteOffset + (off + 1) * 4) / 4]).toBe(42.5);
    // Growing a shared memory does not detach the views the cache holds.
    memory.grow(1);
    expect(cache.f32[off + 1]).toBe(42.5);
  });

  it('calls a storage factory with the byte length the pool needs', () => {
    const sab = new SharedArrayBuffer(1 << 16);
    let asked = -1;
    const cache = new PagedKVCache({
      ...shape,
      memoryBytes: 512 * 5,
      storage: (n) => {
        asked = n;
        return { buffer: sab, byteOffset: 1024, byteLength: n };
      },
    });
    expect(asked).toBe(512 * 5);
    expect(cache.numBlocks).toBe(5);
  });

  it('scrubs storage not declared zeroed, and leaves zeroed storage untouched', () => {
    const dirty = new Float32Array(512).fill(7);
    new PagedKVCache({ ...shape, storage: { buffer: dirty.buffer, byteOffset: 0, byteLength: 2048 } });
    expect(dirty.every((x) => x === 0)).toBe(true);
    const trusted = new Float32Array(512).fill(7);
    new PagedKVCache({ ...shape, storage: { buffer: trusted.buffer, byteOffset: 0, byteLength: 2048, zeroed: true } });
    expect(trusted[0]).toBe(7);
  });

  it('rejects storage that is too small, misaligned or outside its buffer', () => {
    const buf = new ArrayBuffer(4096);
    expect(() => new PagedKVCache({ ...shape, memoryBytes: 8192, storage: { buffer: buf, byteOffset: 0, byteLength: 4096 } })).toThrow(
      KVConfigError,
    );
    expect(() => new PagedKVCache({ ...shape, memoryBytes: 1024, storage: { buffer: buf, byteOffset: 2, byteLength: 1024 } })).toThrow(
      KVConfigError,
    );
    expect(() => new PagedKVCache({ ...shape, memoryBytes: 1024, storage: { buffer: buf, byteOffset: 3584, byteLength: 1024 } })).toThrow(
      KVConfigError,
    );
    expect(() => new PagedKVCache({ ...shape, memoryBytes: 100 })).toThrow(KVConfigError);
    expect(() => new PagedKVCache({ ...shape })).toThrow(KVConfigError);
  });

  it('exposes f16 storage as raw bits', () => {
    const cache = new PagedKVCache({ ...shape, elementType: 'f16', memoryBytes: 256 * 4 });
    expect(cache.numBlocks).toBe(4);
    expect(cache.f16Bits.length).toBe(4 * cache.layout.blockElements);
    expect(() => cache.f32).toThrow(KVConfigError);
    const seq = cache.createSequence();
    cache.appendSlots(seq, 9);
    expect(cache.slotOffset(seq, 8, 0, 'k')).toBe(cache.layout.blockOffset(cache.blockTable(seq).blocks[1], 0, 'k'));
  });
});
