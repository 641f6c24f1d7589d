/**
 * The K-quants: super-blocks of 256 elements split into sub-blocks of 16 or 32, each sub-block
 * with its own small integer scale (and min), themselves scaled by f16 super-block factors.
 * Element indices below are within the super-block; "sub-block s" covers elements
 * [s*16, s*16+16) for Q2_K/Q3_K/Q6_K and [s*32, s*32+32) for Q4_K/Q5_K.
 *
 * Q2_K, 84 bytes:  x = d * (sc & 15) * q - dmin * (sc >> 4), q in 0..3
 *   byte 0..15    scales[16]  sub-block s: low nibble = scale, high nibble = min
 *   byte 16..79   qs[64]      2-bit quants: element 128h + 32j + i (h<2, j<4, i<32) is
 *                             (qs[32h + i] >> 2j) & 3
 *   byte 80..81   d           f16
 *   byte 82..83   dmin        f16
 *
 * Q3_K, 110 bytes: x = d * (sc - 32) * (q - 4), q in 0..7
 *   byte 0..31    hmask[32]   third bit of element e is (hmask[e % 32] >> (e / 32)) & 1
 *   byte 32..95   qs[64]      low 2 bits, arranged as Q2_K's qs
 *   byte 96..107  scales[12]  sixteen 6-bit scales: scale s has low nibble
 *                             s < 8 ? scales[s] & 15 : scales[s - 8] >> 4, and high 2 bits
 *                             (scales[8 + s % 4] >> 2(s / 4)) & 3
 *   byte 108..109 d           f16
 *
 * Q4_K, 144 bytes: x = d * sc * q - dmin * m, q in 0..15
 *   byte 0..1     d           f16
 *   byte 2..3     dmin        f16
 *   byte 4..15    scales[12]  eight 6-bit (sc, m) pairs, see `kScale` / `kMin`
 *   byte 16..143  qs[128]     element 64c + i (c<4, i<32) is qs[32c + i] & 15,
 *                             element 64c + 32 + i is qs[32c + i] >> 4
 *
 * Q5_K, 176 bytes: x = d * sc * q - dmin * m, q in 0..31
 *   byte 0..1     d           f16
 *   byte 2..3     dmin        f16
 *   byte 4..15    scales[12]  as Q4_K
 *   byte 16..47   qh[32]      fifth bit: element 64c + i uses bit 2c of qh[i],
 *                             element 64c + 32 + i uses bit 2c + 1
 *   byte 48..175  qs[128]     low 4 bits, arranged as Q4_K's qs
 *
 * Q6_K, 210 bytes: x = d * sc * (q - 32), q in 0..63
 *   byte 0..127   ql[128]     low 4 bits: element 128h + 32k + i (h<2, k<4, i<32) is in
 *                             ql[64h + 32(k & 1) + i], low nibble for k < 2, high for k >= 2
 *   byte 128..191 qh[64]      high 2 bits: (qh[32h + i] >> 2k) & 3
 *   byte 192..207 scales[16]  int8, one per 16 elements
 *   byte 208..209 d           f16
 */
import { readFp16 } from './f16.js';

const QK_K = 256;
const Q2_K_BYTES = 84;
const Q3_K_BYTES = 110;
const Q4_K_BYTES = 144;
const Q5_K_BYTES = 176;
const Q6_K_BYTES = 210;

/** 6-bit scale of sub-block j (0..7) from the 12 packed bytes at `s` (ggml's get_scale_min_k4). */
export function kScale(src: Uint8Array, s: number, j: number): number {
  return j < 4 ? src[s + j] & 63 : (src[s + j + 4] & 0x0f) | ((src[s + j - 4] >> 6) << 4);
}

/** 6-bit min of sub-block j (0..7) from the 12 packed bytes at `s` (ggml's get_scale_min_k4). */
export function kMin(src: Uint8Array, s: number, j: number): number {
  return j < 4 ? src[s + j + 4] & 63 : (src[s + j + 4] >> 4) | ((src[s + j] >> 6) << 4);
}

/** Signed 6-bit scale of Q3_K sub-block j (0..15) from the 12 packed bytes at `s`, bias removed. */
export function q3kScale(src: Uint8Array, s: number, j: number): number {
  const low = j < 8 ? src[s + j] & 0x0f : src[s + j - 8] >> 4;
  const high = (src[s + 8 + (j & 3)] >> (2 * (j >> 2))) & 3;
  return (low | (high << 4)) - 32;
}

// ---------------------------------------------------------------- Q2_K

export function dequantizeRowQ2_K(src: Uint8Array, srcOffset: number, dst: Float32Array, dstOffset: number, n: number): void {
  for (let b = srcOffset, y = dstOffset, end = dstOffset + n; y < end; b += Q2_K_BYTES, y += QK_K) {
    const d = readFp16(src, b + 80);
    const dmin = readFp16(src, b + 82);
    for (let h = 0; h < 2; h++) {
      const q = b + 16 + 32 * h;
      for (let j = 0; j < 4; j++) {
        const shift = 2 * j;
        for (let k = 0; k < 2; k++) {
          const sc = src[b + 8 * h + 2 * j + k];
          const dl = d * (sc & 0x0f);
          const ml = dmin * (sc >> 4);
          const out = y + 128 * h + 32 * j + 16 * k;
          const qk = q + 16 * k;
          for (let i = 0; i < 16; i++) dst[out + i] = dl * ((src[qk + i] >> shift) & 3) - ml;
        }
      }
    }
  }
}

export function dotRowQ2_K(src: Uint8Array, srcOffset: number, x: Float32Array, xOffset: number, n: number): number {
  let sum = 0;
  for (let b = srcOffset, xb = xOffset, end = xOffset + n; xb < end; b += Q2_K_BYTES, xb += QK_K) {
    let sumScaled = 0;
    let sumMin = 0;
    for (let h = 0; h < 2; h++) {
      const q = b + 16 + 32 * h;
      for (let j = 0; j < 4; j++) {
        const shift = 2 * j;
        for (let k = 0; k < 2; k++) {
          const sc = src[b + 8 * h + 2 * j + k];
          const xi = xb + 128 * h + 32 * j + 16 * k;
          const qk = q + 16 * k;
          let sq = 0;
          let sx = 0;
          for (let i = 0; i < 16; i++) {
            const xv = x[xi + i];
            sq += ((src[qk + i] >> shift) & 3) * xv;
            sx += xv;
          }
          sumScaled += (sc & 0x0f) * sq;
          sumMin += (sc >> 4) * sx;
        }
      }
    }
    sum += readFp16(src, b + 80) * sumScaled - readFp16(src, b + 82) * sumMin;
  }
  return sum;
}

// ---------------------------------------------------------------- Q3_K

export function dequantizeRowQ3_K(src: Uint8Array, srcOffset: number, dst: Float32Array, dstOffset: number, n: number): void {
  for (let b = srcOffset, y = dstOffset, end = dstOffset + n; y < end; b += Q3_K_BYTES, y += QK_K) {
    const d = readFp16(src, b + 108);
    for (let h = 0; h < 2; h++) {
      const q = b + 32 + 32 * h;
      for (let j = 0; j < 4; j++) {
        const shift = 2 * j;
        const bit = 4 * h + j; // hmask bit shared by all 32 elements of this (h, j) slice
        for (let k = 0; k < 2; k++) {
          const dl = d * q3kScale(src, b + 96, 8 * h + 2 * j + k);
          const out = y + 128 * h + 32 * j + 16 * k;
          const qk = q + 16 * k;
          const hm = b + 16 * k;
          for (let i = 0; i < 16; i++) {
            const low = (src[qk + i] >> shift) & 3;
            // a set hmask bit means q = low + 4, so x = dl * (q - 4) = dl * low
            dst[out + i] = dl * ((low | (((src[hm + i] >> bit) & 1) << 2)) - 4);
          }
        }
      }
    }
  }
}

export function dotRowQ3_K(src: Uint8Array, srcOffset: number, x: Float32Array, xOffset: number, n: number): number {
  let sum = 0;
  for (let b = srcOffset, xb = xOffset, end = xOffset + n; xb < end; b += Q3_K_BYTES, xb += QK_K) {
    let s = 0;
    for (let h = 0; h < 2; h++) {
      const q = b + 32 + 32 * h;
      for (let j = 0; j < 4; j++) {
        const shift = 2 * j;
        const bit = 4 * h + j;
        for (let k = 0; k < 2; k++) {
          const xi = xb + 128 * h + 32 * j + 16 * k;
          const qk = q + 16 * k;
          const hm = b + 16 * k;
          let sq = 0;
          for (let i = 0; i < 16; i++) {
            const low = (src[qk + i] >> shift) & 3;
            sq += ((low | (((src[hm + i] >> bit) & 1) << 2)) - 4) * x[xi + i];
          }
          s += q3kScale(src, b + 96, 8 * h + 2 * j + k) * sq;
        }
      }
    }
    sum += readFp16(src, b + 108) * s;
  }
  return sum;
}

// ---------------------------------------------------------------- Q4_K

export function dequantizeRowQ4_K(src: Uint8Array, srcOffset: number, dst: Float32Array, dstOffset: number, n: number): void {
  for (let b = srcOffset, y = dstOffset, end = dstOffset + n; y < end; b += Q4_K_BYTES, y += QK_K) {
    const d = readFp16(src, b);
    const dmin = readFp16(src, b + 2);
    for (let c = 0; c < 4; c++) {
      const d1 = d * kScale(src, b + 4, 2 * c);
      const m1 = dmin * kMin(src, b + 4, 2 * c);
      const d2 = d * kScale(src, b + 4, 2 * c + 1);
      const m2 = dmin * kMin(src, b + 4, 2 * c + 1);
      const q = b + 16 + 32 * c;
      const out = y + 64 * c;
      for (let i = 0; i < 32; i++) {
        const v = src[q + i];
        dst[out + i] = d1 * (v & 0x0f) - m1;
        dst[out + 32 + i] = d2 * (v >> 4) - m2;
      }
    }
  }
}

export function dotRowQ4_K(src: Uint8Array, srcOffset: number, x: Float32Array, xOffset: number, n: number): number {
  let sum = 0;
  for (let b = srcOffset, xb = xOffset, end = xOffset + n; xb < end; b += Q4_K_BYTES, xb += QK_K) {
    let sumScaled = 0;
    let sumMin = 0;
    for (let c = 0; c < 4; c++) {
      const q = b + 16 + 32 * c;
      const xi = xb + 64 * c;
      let sq1 = 0;
      let sq2 = 0;
      let sx1 = 0;
      let sx2 = 0;
      for (let i = 0; i < 32; i++) {
        const v = src[q + i];
        const x1 = x[xi + i];
        const x2 = x[xi + 32 + i];
        sq1 += (v & 0x0f) * x1;
        sq2 += (v >> 4) * x2;
        sx1 += x1;
        sx2 += x2;
      }
      sumScaled += kScale(src, b + 4, 2 * c) * sq1 + kScale(src, b + 4, 2 * c + 1) * sq2;
      sumMin += kMin(src, b + 4, 2 * c) * sx1 + kMin(src, b + 4, 2 * c + 1) * sx2;
    }
    sum += readFp16(src, b) * sumScaled - readFp16(src, b + 2) * sumMin;
  }
  return sum;
}

// ---------------------------------------------------------------- Q5_K

export function dequantizeRowQ5_K(src: Uint8Array, srcOffset: number, dst: Float32Array, dstOffset: number, n: number): void {
  for (let b = srcOffset, y = dstOffset, end = dstOffset + n; y < end; b += Q5_K_BYTES, y += QK_K) {
    const d = readFp16(src, b);
    const dmin = readFp16(src, b + 2);
    const qh = b + 16;
    for (let c = 0; c < 4; c++) {
      const d1 = d * kScale(src, b + 4, 2 * c);
      const m1 = dmin * kMin(src, b + 4, 2 * c);
      const d2 = d * kScale(src, b + 4, 2 * c + 1);
      const m2 = dmin * kMin(src, b + 4, 2 * c + 1);
      const ql = b + 48 + 32 * c;
      const out = y + 64 * c;
      const bit1 = 2 * c;
      const bit2 = 2 * c + 1;
      for (let i = 0; i < 32; i++) {
        const v = src[ql + i];
        const hv = src[qh + i];
        dst[out + i] = d1 * ((v & 0x0f) | (((hv >> bit1) & 1) << 4)) - m1;
        dst[out + 32 + i] = d2 * ((v >> 4) | (((hv >> bit2) & 1) << 4)) - m2;
      }
    }
  }
}

export function dotRowQ5_K(src: Uint8Array, srcOffset: number, x: Float32Array, xOffset: number, n: number): number {
  let sum = 0;
  for (let b = srcOffset, xb = xOffset, end = xOffset + n; xb < end; b += Q5_K_BYTES, xb += QK_K) {
    const qh = b + 16;
    let sumScaled = 0;
    let sumMin = 0;
    for (let c = 0; c < 4; c++) {
      const ql = b + 48 + 32 * c;
      const xi = xb + 64 * c;
      const bit1 = 2 * c;
      const bit2 = 2 * c + 1;
      let sq1 = 0;
      let sq2 = 0;
      let sx1 = 0;
      let sx2 = 0;
      for (let i = 0; i < 32; i++) {
        const v = src[ql + i];
        const hv = src[qh + i];
        const x1 = x[xi + i];
        const x2 = x[xi + 32 + i];
        sq1 += ((v & 0x0f) | (((hv >> bit1) & 1) << 4)) * x1;
        sq2 += ((v >> 4) | (((hv >> bit2) & 1) << 4)) * x2;
        sx1 += x1;
        sx2 += x2;
      }
      sumScaled += kScale(src, b + 4, 2 * c) * sq1 + kScale(src, b + 4, 2 * c + 1) * sq2;
      sumMin += kMin(src, b + 4, 2 * c) * sx1 + kMin(src, b + 4, 2 * c + 1) * sx2;
    }
    sum += readFp16(src, b) * sumScaled - readFp16(src, b + 2) * sumMin;
  }
  return sum;
}

// ---------------------------------------------------------------- Q6_K

export function dequantizeRowQ6_K(src: Uint8Array, srcOffset: number, dst: Float32Array, dstOffset: number, n: number): void {
  for (let b = srcOffset, y = dstOffset, end = dstOffset + n; y < end; b += Q6_K_BYTES, y += QK_K) {
    const d = readFp16(src, b + 208);
    for (let h = 0; h < 2; h++) {
      const ql = b + 64 * h;
      const qh = b + 128 + 32 * h;
      const sc = b + 192 + 8 * h;
      const out = y + 128 * h;
      for (let i = 0; i < 32; i++) {
        const is = i >> 4;
        const l0 = src[ql + i];
        const l1 = src[ql + 32 + i];
        const hv = src[qh + i];
        dst[out + i] = d * ((src[sc + is] << 24) >> 24) * (((l0 & 0x0f) | ((hv & 3) << 4)) - 32);
        dst[out + 32 + i] = d * ((src[sc + is + 2] << 24) >> 24) * (((l1 & 0x0f) | (((hv >> 2) & 3) << 4)) - 32);
        dst[out + 64 + i] = d * ((src[sc + is + 4] << 24) >> 24) * (((l0 >> 4) | (((hv >> 4) & 3) << 4)) - 32);
        dst[out + 96 + i] = d * ((src[sc + is + 6] << 24) >> 24) * (((l1 >> 4) | (((hv >> 6) & 3) << 4)) - 32);
      }
    }
  }
}

export function dotRowQ6_K(src: Uint8Array, srcOffset: number, x: Float32Array, xOffset: number, n: number): number {
  let sum = 0;
  for (let b = srcOffset, xb = xOffset, end = xOffset + n; xb < end; b += Q6_K_BYTES, xb += QK_K) {
    let s = 0;
    for (let h = 0; h < 2; h++) {
      const ql = b + 64 * h;
      const qh = b + 128 + 32 * h;
      const sc = b + 192 + 8 * h;
      const xi = xb + 128 * h;
      // Sub-block halves: i in [0,16) uses scales is = 0, [16,32) uses is = 1.
      for (let is = 0; is < 2; is++) {
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let i = 16 * is, e = i + 16; i < e; i++) {
          const l0 = src[ql + i];
          const l1 = src[ql + 32 + i];
          const hv = src[qh + i];
          s0 += (((l0 & 0x0f) | ((hv & 3) << 4)) - 32) * x[xi + i];
          s1 += (((l1 & 0x0f) | (((hv >> 2) & 3) << 4)) - 32) * x[xi + 32 + i];
          s2 += (((l0 >> 4) | (((hv >> 4) & 3) << 4)) - 32) * x[xi + 64 + i];
          s3 += (((l1 >> 4) | (((hv >> 6) & 3) << 4)) - 32) * x[xi + 96 + i];
        }
        s +=
          ((src[sc + is] << 24) >> 24) * s0 +
          ((src[sc + is + 2] << 24) >> 24) * s1 +
          ((src[sc + is + 4] << 24) >> 24) * s2 +
          ((src[sc + is + 6] << 24) >> 24) * s3;
      }
    }
    sum += readFp16(src, b + 208) * s;
  }
  return sum;
}
