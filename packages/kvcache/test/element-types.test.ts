/**
 * The block layout for each KV element type (f32, f16, q8_0): sizes, offsets in storage units and
 * bytes, and the byte-range operations (scrub, copy-on-write) that must cover a q8_0 row's scales.
 */
import { describe, expect, it } from 'vitest';
import { KVConfigError, KVStorageLayout, PagedKVCache, type KVElementType } from '../src/index.js';

const shape = { layers: 3, kvHeads: 2, headDim: 64, blockSize: 8 } as const;
/** Bytes of one row (2 heads × 64) per type: q8_0 is two 34-byte blocks per head. */
const ROW_BYTES: Record<KVElementType, number> = { f32: 512, f16: 256, q8_0: 4 * 34 };

describe.each(['f32', 'f16', 'q8_0'] as const)('%s layout', (type) => {
  const layout = new KVStorageLayout({ ...shape, elementType: type });

  it('sizes rows and blocks from the element type', () => {
    expect(layout.rowBytes).toBe(ROW_BYTES[type]);
    expect(layout.bytesPerBlock).toBe(3 * 2 * 8 * ROW_BYTES[type]);
    expect(layout.slotStride * layout.elementBytes).toBe(ROW_BYTES[type]);
    expect(layout.bytesPerBlock % 4).toBe(0);
  });

  it('places rows back to back in storage order, in bytes', () => {
    let expected = 0;
    for (let block = 0; block < 2; block++) {
      for (let layer = 0; layer < 3; layer++) {
        for (const kind of ['k', 'v'] as const) {
          for (let slot = 0; slot < 8; slot++) {
            expect(layout.slotOffset(block, slot, layer, kind) * layout.elementBytes).toBe(expected);
            expected += ROW_BYTES[type];
          }
        }
      }
    }
  });

  it('gives sequences byte offsets, and truncation scrubs whole rows (scales included)', () => {
    const cache = new PagedKVCache({ ...shape, elementType: type, memoryBytes: 4 * layout.bytesPerBlock, prefixCaching: false });
    const seq = cache.createSequence();
    cache.appendSlots(seq, 12);
    const bytes = cache.bytes;
    expect(bytes.length).toBe(4 * layout.bytesPerBlock);
    for (let p = 0; p < 12; p++) {
      for (let l = 0; l < 3; l++) {
        for (const kind of ['k', 'v'] as const) {
          const at = cache.slotByteOffset(seq, p, l, kind);
          expect(at).toBe(cache.slotOffset(seq, p, l, kind) * layout.elementBytes);
          bytes.fill(p + 1, at, at + ROW_BYTES[type]);
        }
      }
    }
    cache.truncateSequence(seq, 10);
    for (let l = 0; l < 3; l++) {
      for (const kind of ['k', 'v'] as const) {
        const kept = cache.slotByteOffset(seq, 9, l, kind);
        expect(bytes.subarray(kept, kept + ROW_BYTES[type]).every((b) => b === 10)).toBe(true);
        // Slot 10's row (the first scrubbed) starts right after slot 9's.
        const gone = kept + ROW_BYTES[type];
        expect(bytes.subarray(gone, gone + ROW_BYTES[type]).every((b) => b === 0)).toBe(true);
      }
    }
  });
});

describe('q8_0 constraints', () => {
  it('needs heads of whole 32-element blocks', () => {
    expect(() => new KVStorageLayout({ ...shape, headDim: 48, elementType: 'q8_0' })).toThrow(/multiple of 32/);
    expect(() => new KVStorageLayout({ ...shape, headDim: 48, elementType: 'f16' })).not.toThrow();
  });

  it('has no f32 or f16 view; bytes only', () => {
    const cache = new PagedKVCache({ ...shape, elementType: 'q8_0', memoryBytes: 1 << 16 });
    expect(() => cache.f32).toThrow(KVConfigError);
    expect(() => cache.f16Bits).toThrow(KVConfigError);
    expect(cache.bytes.length).toBe(cache.numBlocks * cache.layout.bytesPerBlock);
  });

  it('holds 3.76× the tokens of f32 in the same budget (34 bytes per 32 values vs 128)', () => {
    const budget = 1 << 20;
    const f32 = new PagedKVCache({ ...shape, memoryBytes: budget });
    const q8 = new PagedKVCache({ ...shape, elementType: 'q8_0', memoryBytes: budget });
    expect(q8.numBlocks / f32.numBlocks).toBeCloseTo(128 / 34, 1);
  });
});
