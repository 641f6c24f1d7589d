/**
 * The element types a KV cache may store its K/V rows in, as llama.cpp's `-ctk/-ctv` name them:
 * f32, f16 (llama.cpp's default) and q8_0 (ggml's blocks of 32 int8 quants with an f16 scale, 34
 * bytes). A row is one position's K (or V) for all KV heads of a layer; rows are addressed by byte
 * offset, and a q8_0 head must be whole blocks (head size a multiple of 32), as llama.cpp requires.
 *
 * Rows are written by rounding f32 values the way ggml's set_rows does (round-to-nearest-even
 * halves; `quantize_row_q8_0` for q8_0) and read in place by attention, never dequantized into a
 * copy of the cache.
 */
import { fp16ToF32, quantizeRowF16 } from './formats/f16.js';
import { quantizeRowQ8_0 } from './formats/q8_0.js';
import { GGMLType } from './types.js';

/** A KV cache element type. */
export type KVType = 'f32' | 'f16' | 'q8_0';

/** Every KV type, default first. */
export const KV_TYPES: readonly KVType[] = ['f16', 'f32', 'q8_0'];

/** llama.cpp's default cache type. */
export const DEFAULT_KV_TYPE: KVType = 'f16';

export function isKVType(value: unknown): value is KVType {
  return value === 'f32' || value === 'f16' || value === 'q8_0';
}

/** The ggml type id of a KV type (what the WASM kernel is told). */
export function kvGGMLType(type: KVType): GGMLType {
  return type === 'f32' ? GGMLType.F32 : type === 'f16' ? GGMLType.F16 : GGMLType.Q8_0;
}

/** Elements per q8_0 block. */
export const Q8_0_BLOCK = 32;

/**
 * Bytes of a row of `n` elements (n a multiple of 32 for q8_0). Throws a RangeError naming the
 * constraint otherwise.
 */
export function kvRowBytes(type: KVType, n: number): number {
  switch (type) {
    case 'f32':
      return 4 * n;
    case 'f16':
      return 2 * n;
    case 'q8_0':
      if (n % Q8_0_BLOCK !== 0) throw new RangeError(`a q8_0 KV row holds whole blocks of 32 elements, got ${n}`);
      return (n / Q8_0_BLOCK) * 34;
    default:
      throw new RangeError(`unknown KV type ${String(type).slice(0, 40)}`);
  }
}

/**
 * Why a model with this head size cannot use `type`, or undefined if it can. q8_0 quantizes each
 * head in whole blocks (llama.cpp refuses the same combination).
 */
export function kvTypeUnsupportedReason(type: KVType, headDim: number): string | undefined {
  if (type === 'q8_0' && headDim % Q8_0_BLOCK !== 0) return `q8_0 KV needs a head size that is a multiple of 32 (this model's is ${headDim})`;
  return undefined;
}

const word = new Float32Array(1);
const wordBits = new Uint32Array(word.buffer);

/**
 * Stores src[srcOffset .. srcOffset + n) as one `type` row at byte `dstOffset` of `dst`.
 * Allocates nothing (the forward pass writes every K/V row through it).
 */
export function storeKVRow(type: KVType, src: Float32Array, srcOffset: number, dst: Uint8Array, dstOffset: number, n: number): void {
  if (type === 'f16') {
    quantizeRowF16(src, srcOffset, dst, dstOffset, n);
  } else if (type === 'q8_0') {
    quantizeRowQ8_0(src, srcOffset, dst, dstOffset, n);
  } else {
    for (let i = 0, o = dstOffset; i < n; i++, o += 4) {
      word[0] = src[srcOffset + i];
      const u = wordBits[0];
      dst[o] = u & 0xff;
      dst[o + 1] = (u >>> 8) & 0xff;
      dst[o + 2] = (u >>> 16) & 0xff;
      dst[o + 3] = u >>> 24;
    }
  }
}

/**
 * Element `i` of the `type` row at byte `offset` of `src`, as the exact f32 value it stands for
 * (f16 and int8 × f16-scale values are all exactly representable). The reference attention reads
 * the cache through this.
 */
export function kvElement(type: KVType, src: Uint8Array, offset: number, i: number): number {
  if (type === 'f16') {
    const o = offset + 2 * i;
    return fp16ToF32(src[o] | (src[o + 1] << 8));
  }
  if (type === 'q8_0') {
    const b = offset + ((i >> 5) * 34);
    const d = fp16ToF32(src[b] | (src[b + 1] << 8));
    return ((src[b + 2 + (i & 31)] << 24) >> 24) * d;
  }
  const o = offset + 4 * i;
  wordBits[0] = src[o] | (src[o + 1] << 8) | (src[o + 2] << 16) | (src[o + 3] << 24);
  return word[0];
}

/** Decodes the `type` row at byte `offset` of `src` into dst[dstOffset .. + n) (tests, tools). */
export function loadKVRow(type: KVType, src: Uint8Array, offset: number, dst: Float32Array, dstOffset: number, n: number): void {
  for (let i = 0; i < n; i++) dst[dstOffset + i] = kvElement(type, src, offset, i);
}
