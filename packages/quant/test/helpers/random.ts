/**
 * Deterministic random test data: a seeded PRNG, f32 vectors, and random-but-valid quantized
 * blocks (random quant bits, finite f16 scales) for every supported type.
 */
import { GGMLType, TYPE_INFO } from '../../src/types.js';
import { f32ToFp16 } from '../../src/formats/f16.js';

/** mulberry32: small, fast, good enough for test data. Returns floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values uniform in [-scale, scale), rounded to f32. */
export function randomF32(rand: () => number, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
}

/** Byte offsets of the f16 scale fields inside one block of each quantized type. */
const F16_FIELDS: Partial<Record<GGMLType, number[]>> = {
  [GGMLType.Q4_0]: [0],
  [GGMLType.Q4_1]: [0, 2],
  [GGMLType.Q5_0]: [0],
  [GGMLType.Q5_1]: [0, 2],
  [GGMLType.Q8_0]: [0],
  [GGMLType.Q2_K]: [80, 82],
  [GGMLType.Q3_K]: [108],
  [GGMLType.Q4_K]: [0, 2],
  [GGMLType.Q5_K]: [0, 2],
  [GGMLType.Q6_K]: [208],
  [GGMLType.IQ4_NL]: [0],
};

function putF16(dst: Uint8Array, o: number, v: number): void {
  const h = f32ToFp16(v);
  dst[o] = h & 0xff;
  dst[o + 1] = h >>> 8;
}

/**
 * `n` elements of `type` with every quant bit random and every scale a finite f16 of either sign
 * (K-quant dmin fields are positive, as real files have them). Float types get random values.
 */
export function randomRowBytes(rand: () => number, type: GGMLType, n: number): Uint8Array {
  const info = TYPE_INFO[type];
  const bytes = new Uint8Array((n / info.blockSize) * info.typeSize);
  if (type === GGMLType.F32) {
    const dv = new DataView(bytes.buffer);
    for (let i = 0; i < n; i++) dv.setFloat32(4 * i, (rand() * 2 - 1) * 3, true);
    return bytes;
  }
  if (type === GGMLType.F16 || type === GGMLType.BF16) {
    for (let i = 0; i < n; i++) {
      const v = (rand() * 2 - 1) * 3;
      if (type === GGMLType.F16) putF16(bytes, 2 * i, v);
      else {
        const u = new Float32Array([v]);
        const bits = new Uint32Array(u.buffer)[0] >>> 16;
        bytes[2 * i] = bits & 0xff;
        bytes[2 * i + 1] = bits >>> 8;
      }
    }
    return bytes;
  }
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
  const fields = F16_FIELDS[type];
  if (!fields) throw new Error(`no random block recipe for type ${type}`);
  const isKMin = type === GGMLType.Q2_K || type === GGMLType.Q4_K || type === GGMLType.Q5_K;
  for (let b = 0; b < bytes.length; b += info.typeSize) {
    fields.forEach((off, k) => {
      const positive = isKMin && k === 1;
      const magnitude = 0.001 + rand() * 0.05;
      putF16(bytes, b + off, positive || rand() < 0.5 ? magnitude : -magnitude);
    });
  }
  return bytes;
}
