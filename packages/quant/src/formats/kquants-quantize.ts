/**
 * Quantizers for Q4_K, Q5_K and Q6_K: ports of ggml's `quantize_row_q{4,5,6}_K_ref` (the path
 * llama-quantize takes when no importance matrix is given), byte for byte. Block layouts are
 * documented in kquants.ts.
 *
 * Float semantics. The C code works in f32, so every intermediate is rounded with Math.fround, in
 * the C evaluation order, and `a*b + c` is two roundings (no fused multiply-add): that is what
 * reproduces llama.cpp's files exactly (with fused multiply-adds, 11 of the 1,024 blocks tested
 * differ). Inputs that are themselves dequantized weights sit on exact grids, so ties in
 * nearest_int are common and any deviation in rounding shows up.
 */
import { f32ToFp16, fp16ToF32 } from './f16.js';

const QK_K = 256;
const Q4_K_BYTES = 144;
const Q5_K_BYTES = 176;
const Q6_K_BYTES = 210;
const GROUP_MAX_EPS = Math.fround(1e-15);
/** The C literal 0.1f: the step between candidate scales, as an f32. */
const RDELTA = Math.fround(0.1);

const fround = Math.fround;

/** The f32 `a*b + c` of C without contraction: two roundings. */
function mulAdd(a: number, b: number, c: number): number {
  return fround(fround(a * b) + c);
}

/** ggml's nearest_int: round half to even through the 1.5·2^23 trick, exact for |x| < 2^22. */
function nearestInt(x: number): number {
  return fround(x + 12582912) - 12582912;
}

// Per-thread scratch (each worker has its own module instance), so quantizing allocates nothing.
const L = new Uint8Array(QK_K);
const Laux = new Uint8Array(32);
/** x − min for the current min of make_qkx2_quants (recomputed only when min changes). */
const xm = new Float32Array(32);
const weights = new Float32Array(32);
const scales = new Float32Array(QK_K / 16);
const mins = new Float32Array(QK_K / 32);
const q6L = new Int8Array(QK_K);
/** make_qkx2_quants' second result (the negated min), returned through here to avoid allocating. */
let theMin = 0;

/**
 * ggml's make_qkx2_quants: fits x[i] ≈ scale·L[i] − min (L in 0..nmax, min ≥ 0) minimising the
 * weighted error, trying nstep+1 candidate scales around nmax/(max − min). Writes L[lOff..lOff+n)
 * and `theMin`; returns the scale.
 */
function makeQkx2Quants(
  n: number, nmax: number, x: Float32Array, xOff: number, w: Float32Array, lOff: number,
  rmin: number, rdelta: number, nstep: number,
): number {
  let min = x[xOff];
  let max = x[xOff];
  let sumW = w[0];
  let sumX = fround(sumW * x[xOff]);
  for (let i = 1; i < n; i++) {
    const xi = x[xOff + i];
    if (xi < min) min = xi;
    if (xi > max) max = xi;
    sumW = fround(sumW + w[i]);
    sumX = mulAdd(w[i], xi, sumX);
  }
  if (min > 0) min = 0;
  if (max === min) {
    L.fill(0, lOff, lOff + n);
    theMin = -min;
    return 0;
  }
  let iscale = fround(nmax / fround(max - min));
  let scale = fround(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) xm[i] = x[xOff + i] - min;
  for (let i = 0; i < n; i++) {
    const l = nearestInt(fround(iscale * xm[i]));
    const q = l < 0 ? 0 : l > nmax ? nmax : l;
    L[lOff + i] = q;
    // use_mad is false for Q4_K/Q5_K: squared error.
    const diff = fround(mulAdd(scale, q, min) - x[xOff + i]);
    bestError = mulAdd(w[i], fround(diff * diff), bestError);
  }
  for (let is = 0; is <= nstep; is++) {
    // min is the best fit so far, as in ggml (the grid moves with it).
    iscale = fround(fround(mulAdd(rdelta, is, rmin) + nmax) / fround(max - min));
    let changed = is === 0;
    for (let i = 0; i < n; i++) {
      const l0 = nearestInt(fround(iscale * xm[i]));
      const l = l0 < 0 ? 0 : l0 > nmax ? nmax : l0;
      if (Laux[i] !== l) {
        Laux[i] = l;
        changed = true;
      }
    }
    // Everything below depends on Laux alone: the same levels as the previous candidate give the
    // same error, which cannot beat the best (ggml requires strictly less), so skipping is exact.
    if (!changed) continue;
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const l = Laux[i];
      const wl = fround(w[i] * l);
      sumL = mulAdd(w[i], l, sumL);
      sumL2 = mulAdd(wl, l, sumL2);
      sumXL = mulAdd(wl, x[xOff + i], sumXL);
    }
    const D = fround(fround(sumW * sumL2) - fround(sumL * sumL));
    if (D > 0) {
      let thisScale = fround(fround(fround(sumW * sumXL) - fround(sumX * sumL)) / D);
      let thisMin = fround(fround(fround(sumL2 * sumX) - fround(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = fround(sumXL / sumL2);
      }
      let curError = 0;
      for (let i = 0; i < n; i++) {
        const diff = fround(mulAdd(thisScale, Laux[i], thisMin) - x[xOff + i]);
        curError = mulAdd(w[i], fround(diff * diff), curError);
      }
      if (curError < bestError) {
        for (let i = 0; i < n; i++) L[lOff + i] = Laux[i];
        bestError = curError;
        scale = thisScale;
        min = thisMin;
        for (let i = 0; i < n; i++) xm[i] = x[xOff + i] - min;
      }
    }
  }
  theMin = -min;
  return scale;
}

/**
 * Shared body of Q4_K and Q5_K (they differ only in nmax, the search grid and the bit packing):
 * per 32-element sub-block a make_qkx2_quants fit, then the 8 scales and 8 mins quantized to
 * 6 bits against the super-block's d = max_scale/63 and dmin = max_min/63, then every element
 * re-quantized against the stored (f16-rounded) scales. Writes d, dmin, scales[12] at `b` and
 * leaves the quants in L.
 */
function quantizeSuperBlockQ45(
  src: Float32Array, xi: number, dst: Uint8Array, b: number, nmax: number, rmin: number, rdelta: number, nstep: number,
): void {
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    const xo = xi + 32 * j;
    let sumX2 = 0;
    for (let l = 0; l < 32; l++) sumX2 = mulAdd(src[xo + l], src[xo + l], sumX2);
    const avX = fround(Math.sqrt(fround(sumX2 / 32)));
    for (let l = 0; l < 32; l++) weights[l] = avX + Math.abs(src[xo + l]);
    const scale = makeQkx2Quants(32, nmax, src, xo, weights, 32 * j, rmin, rdelta, nstep);
    scales[j] = scale;
    mins[j] = theMin;
    if (scales[j] > maxScale) maxScale = scales[j];
    if (mins[j] > maxMin) maxMin = mins[j];
  }
  const invScale = maxScale > 0 ? fround(63 / maxScale) : 0;
  const invMin = maxMin > 0 ? fround(63 / maxMin) : 0;
  const s = b + 4;
  for (let j = 0; j < 8; j++) {
    const ls = Math.min(63, nearestInt(fround(invScale * scales[j])) & 0xff);
    const lm = Math.min(63, nearestInt(fround(invMin * mins[j])) & 0xff);
    if (j < 4) {
      dst[s + j] = ls;
      dst[s + j + 4] = lm;
    } else {
      dst[s + j + 4] = (ls & 0x0f) | ((lm & 0x0f) << 4);
      dst[s + j - 4] |= (ls >> 4) << 6;
      dst[s + j] |= (lm >> 4) << 6;
    }
  }
  const hd = f32ToFp16(fround(maxScale / 63));
  const hm = f32ToFp16(fround(maxMin / 63));
  dst[b] = hd & 0xff;
  dst[b + 1] = hd >>> 8;
  dst[b + 2] = hm & 0xff;
  dst[b + 3] = hm >>> 8;
  const d = fp16ToF32(hd);
  const dmin = fp16ToF32(hm);
  for (let j = 0; j < 8; j++) {
    const sc = j < 4 ? dst[s + j] & 63 : (dst[s + j + 4] & 0x0f) | ((dst[s + j - 4] >> 6) << 4);
    const m = j < 4 ? dst[s + j + 4] & 63 : (dst[s + j + 4] >> 4) | ((dst[s + j] >> 6) << 4);
    const dl = fround(d * sc);
    if (dl === 0) continue;
    const dm = fround(dmin * m);
    for (let ii = 0; ii < 32; ii++) {
      const l = nearestInt(fround(fround(src[xi + 32 * j + ii] + dm) / dl));
      L[32 * j + ii] = l < 0 ? 0 : l > nmax ? nmax : l;
    }
  }
}

/** ggml's `quantize_row_q4_K_ref` (n a multiple of 256). */
export function quantizeRowQ4_K(src: Float32Array, srcOffset: number, dst: Uint8Array, dstOffset: number, n: number): void {
  for (let xi = srcOffset, b = dstOffset, end = srcOffset + n; xi < end; xi += QK_K, b += Q4_K_BYTES) {
    quantizeSuperBlockQ45(src, xi, dst, b, 15, -1, RDELTA, 20);
    for (let c = 0, q = b + 16; c < 4; c++, q += 32) {
      for (let l = 0; l < 32; l++) dst[q + l] = L[64 * c + l] | (L[64 * c + 32 + l] << 4);
    }
  }
}

/** ggml's `quantize_row_q5_K_ref` (n a multiple of 256). */
export function quantizeRowQ5_K(src: Float32Array, srcOffset: number, dst: Uint8Array, dstOffset: number, n: number): void {
  for (let xi = srcOffset, b = dstOffset, end = srcOffset + n; xi < end; xi += QK_K, b += Q5_K_BYTES) {
    quantizeSuperBlockQ45(src, xi, dst, b, 31, -0.5, RDELTA, 15);
    const qh = b + 16;
    dst.fill(0, qh, qh + 32);
    for (let c = 0, ql = b + 48; c < 4; c++, ql += 32) {
      const m1 = 1 << (2 * c);
      const m2 = 2 << (2 * c);
      for (let j = 0; j < 32; j++) {
        let l1 = L[64 * c + j];
        let l2 = L[64 * c + 32 + j];
        if (l1 > 15) {
          l1 -= 16;
          dst[qh + j] |= m1;
        }
        if (l2 > 15) {
          l2 -= 16;
          dst[qh + j] |= m2;
        }
        dst[ql + j] = l1 | (l2 << 4);
      }
    }
  }
}

/**
 * ggml's make_qx_quants with rmse_type 1 and no importance weights (the Q6_K case): symmetric
 * levels −nmax..nmax−1 weighted by x², a first fit from the element of largest magnitude, then
 * 18 nearby scales tried. Writes q6L[off..off+n) as level + nmax; returns the scale.
 */
function makeQxQuants(n: number, nmax: number, x: Float32Array, xOff: number, off: number): number {
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xOff + i]);
    if (ax > amax) {
      amax = ax;
      max = x[xOff + i];
    }
  }
  if (amax < GROUP_MAX_EPS) {
    q6L.fill(0, off, off + n);
    return 0;
  }
  let iscale = fround(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[xOff + i];
    const l0 = nearestInt(fround(iscale * xi));
    const l = l0 < -nmax ? -nmax : l0 > nmax - 1 ? nmax - 1 : l0;
    q6L[off + i] = l + nmax;
    const w = fround(xi * xi);
    sumlx = mulAdd(fround(w * xi), l, sumlx);
    suml2 = mulAdd(fround(w * l), l, suml2);
  }
  let scale = suml2 ? fround(sumlx / suml2) : 0;
  let best = fround(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = fround(-mulAdd(RDELTA, is, nmax) / max);
    sumlx = 0;
    suml2 = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[xOff + i];
      const l0 = nearestInt(fround(iscale * xi));
      const l = l0 < -nmax ? -nmax : l0 > nmax - 1 ? nmax - 1 : l0;
      const w = fround(xi * xi);
      sumlx = mulAdd(fround(w * xi), l, sumlx);
      suml2 = mulAdd(fround(w * l), l, suml2);
    }
    if (suml2 > 0 && fround(sumlx * sumlx) > fround(best * suml2)) {
      for (let i = 0; i < n; i++) {
        const l0 = nearestInt(fround(iscale * x[xOff + i]));
        q6L[off + i] = nmax + (l0 < -nmax ? -nmax : l0 > nmax - 1 ? nmax - 1 : l0);
      }
      scale = fround(sumlx / suml2);
      best = fround(scale * sumlx);
    }
  }
  return scale;
}

/** ggml's `quantize_row_q6_K_ref` (n a multiple of 256). */
export function quantizeRowQ6_K(src: Float32Array, srcOffset: number, dst: Uint8Array, dstOffset: number, n: number): void {
  for (let xi = srcOffset, b = dstOffset, end = srcOffset + n; xi < end; xi += QK_K, b += Q6_K_BYTES) {
    let maxScale = 0;
    let maxAbsScale = 0;
    for (let ib = 0; ib < 16; ib++) {
      const scale = makeQxQuants(16, 32, src, xi + 16 * ib, 16 * ib);
      scales[ib] = scale;
      const abs = Math.abs(scale);
      if (abs > maxAbsScale) {
        maxAbsScale = abs;
        maxScale = scale;
      }
    }
    if (maxAbsScale < GROUP_MAX_EPS) {
      dst.fill(0, b, b + Q6_K_BYTES);
      continue;
    }
    const iscale = fround(-128 / maxScale);
    const hd = f32ToFp16(fround(1 / iscale));
    dst[b + 208] = hd & 0xff;
    dst[b + 209] = hd >>> 8;
    const d = fp16ToF32(hd);
    for (let ib = 0; ib < 16; ib++) dst[b + 192 + ib] = Math.min(127, nearestInt(fround(iscale * scales[ib]))) & 0xff;
    for (let j = 0; j < 16; j++) {
      const dl = fround(d * ((dst[b + 192 + j] << 24) >> 24));
      if (dl === 0) continue;
      for (let ii = 0; ii < 16; ii++) {
        const l = nearestInt(fround(src[xi + 16 * j + ii] / dl));
        q6L[16 * j + ii] = (l < -32 ? -32 : l > 31 ? 31 : l) + 32;
      }
    }
    for (let h = 0; h < 2; h++) {
      const ql = b + 64 * h;
      const qh = b + 128 + 32 * h;
      const o = 128 * h;
      for (let l = 0; l < 32; l++) {
        const a = q6L[o + l];
        const c = q6L[o + l + 32];
        const e = q6L[o + l + 64];
        const f = q6L[o + l + 96];
        dst[ql + l] = (a & 0x0f) | ((e & 0x0f) << 4);
        dst[ql + l + 32] = (c & 0x0f) | ((f & 0x0f) << 4);
        dst[qh + l] = (a >> 4) | ((c >> 4) << 2) | ((e >> 4) << 4) | ((f >> 4) << 6);
      }
    }
  }
}
