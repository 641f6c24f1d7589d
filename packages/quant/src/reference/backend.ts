/**
 * The plain-TypeScript backend: readable, always available, and the oracle the fast paths are
 * tested against. Single-threaded; f32 math over dequantized weight rows.
 */
import type { AttentionShape, ComputeBackend, WeightRef } from '../backend.js';
import { fp16ToF32 } from '../formats/f16.js';
import { kvRowBytes, type KVType } from '../kv-types.js';
import { matmulRef } from './matmul.js';

export class ReferenceBackend implements ComputeBackend {
  readonly name = 'reference';
  private scratch = new Float32Array(0);
  private scores = new Float32Array(0);

  matmul(w: WeightRef, x: Float32Array, nTokens: number, out: Float32Array): void {
    if (this.scratch.length < w.cols) this.scratch = new Float32Array(w.cols);
    matmulRef(w.type, w.data, 0, w.rows, w.cols, x, 0, nTokens, out, 0, this.scratch);
  }

  attention(
    shape: AttentionShape, q: Float32Array, kv: Uint8Array, kvType: KVType, rows: Int32Array, lens: Int32Array,
    t0: number, t1: number, out: Float32Array,
  ): void {
    let maxLen = 0;
    for (let t = t0; t < t1; t++) maxLen = Math.max(maxLen, lens[t]);
    const need = shape.nHeads * maxLen;
    // Doubling, so a growing context reallocates a handful of times, not once per decode step.
    if (this.scores.length < need) this.scores = new Float32Array(Math.max(need, 2 * this.scores.length));
    attentionRef(shape, q, kv, kvType, rows, lens, t0, t1, out, this.scores);
  }

  swiglu(gate: Float32Array, up: Float32Array, n: number): void {
    swigluRef(gate, up, n);
  }

  dispose(): void {}
}

/** ComputeBackend.swiglu in plain TypeScript (exp in double precision, one rounding to f32). */
export function swigluRef(gate: Float32Array, up: Float32Array, n: number): void {
  if (gate.length < n || up.length < n) throw new RangeError(`swiglu: gate and up need ${n} values`);
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    gate[i] = (g / (1 + Math.exp(-g))) * up[i];
  }
}

/**
 * Typed views of the cache bytes last given to attentionRef: a cache keeps one byte array for its
 * life, so the views are made once, and a decode step allocates nothing.
 */
interface CacheViews {
  bytes: Uint8Array | undefined;
  f32: Float32Array;
  u16: Uint16Array;
  i8: Int8Array;
}
const views: CacheViews = { bytes: undefined, f32: new Float32Array(0), u16: new Uint16Array(0), i8: new Int8Array(0) };

function viewsOf(kv: Uint8Array): CacheViews {
  if (views.bytes !== kv) {
    const { buffer, byteOffset, byteLength } = kv;
    views.f32 = (byteOffset & 3) === 0 ? new Float32Array(buffer, byteOffset, byteLength >> 2) : new Float32Array(0);
    views.u16 = (byteOffset & 1) === 0 ? new Uint16Array(buffer, byteOffset, byteLength >> 1) : new Uint16Array(0);
    views.i8 = new Int8Array(buffer, byteOffset, byteLength);
    views.bytes = kv;
  }
  return views;
}

/**
 * Value `d` of the row at byte `o` of a q8_0 cache (quant × its block's f16 scale; exact in f32).
 * Small enough to be inlined, so the double it returns is never boxed.
 */
function q8Element(v: CacheViews, o: number, d: number): number {
  const b = o + (d >> 5) * 34;
  return v.i8[b + 2 + (d & 31)] * fp16ToF32(v.u16[b >> 1]);
}

/**
 * ComputeBackend.attention in plain TypeScript, the readable definition: for each token, every
 * head's scores over all visible positions, a softmax, then the weighted sum of V rows. Cache
 * elements are read one by one in their stored type as the exact values they stand for, so every
 * KV type computes what f32 would over the dequantized rows. `kv` must start 4-byte aligned (f32)
 * or 2-byte aligned (f16, q8_0), as cache storage does. `scores` holds at least
 * nHeads × max(lens) floats.
 */
export function attentionRef(
  shape: AttentionShape, q: Float32Array, kv: Uint8Array, kvType: KVType, rows: Int32Array, lens: Int32Array,
  t0: number, t1: number, out: Float32Array, scores: Float32Array,
): void {
  const { nHeads, headDim, scale } = shape;
  const cap = shape.softcap ?? 0;
  const group = nHeads / shape.nKVHeads;
  const headBytes = kvRowBytes(kvType, headDim);
  const v = viewsOf(kv);
  const { f32, u16 } = v;
  const dim = nHeads * headDim;
  for (let t = t0; t < t1; t++) {
    const len = lens[t]; // causal: this token sees positions [0, len)
    const qt = t * dim;
    // Positions outer, heads inner: each cached K/V row is located once per token, which is
    // what makes a paged cache (a block-table lookup per row) cost nearly nothing extra.
    for (let p = 0; p < len; p++) {
      const ko = rows[2 * p];
      for (let h = 0; h < nHeads; h++) {
        const qo = qt + h * headDim;
        const kh = ko + ((h / group) | 0) * headBytes;
        let s = 0;
        if (kvType === 'f32') for (let d = 0, e = kh >> 2; d < headDim; d++) s += q[qo + d] * f32[e + d];
        else if (kvType === 'f16') for (let d = 0, e = kh >> 1; d < headDim; d++) s += q[qo + d] * fp16ToF32(u16[e + d]);
        else for (let d = 0; d < headDim; d++) s += q[qo + d] * q8Element(v, kh, d);
        scores[h * len + p] = cap > 0 ? cap * Math.tanh((s * scale) / cap) : s * scale;
      }
    }
    for (let h = 0; h < nHeads; h++) softmaxInPlace(scores, h * len, len);
    out.fill(0, qt, qt + dim);
    for (let p = 0; p < len; p++) {
      const vo = rows[2 * p + 1];
      for (let h = 0; h < nHeads; h++) {
        const a = scores[h * len + p];
        const ao = qt + h * headDim;
        const vh = vo + ((h / group) | 0) * headBytes;
        if (kvType === 'f32') for (let d = 0, e = vh >> 2; d < headDim; d++) out[ao + d] += a * f32[e + d];
        else if (kvType === 'f16') for (let d = 0, e = vh >> 1; d < headDim; d++) out[ao + d] += a * fp16ToF32(u16[e + d]);
        else for (let d = 0; d < headDim; d++) out[ao + d] += a * q8Element(v, vh, d);
      }
    }
  }
}

function softmaxInPlace(x: Float32Array, o: number, n: number): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (x[o + i] > max) max = x[o + i];
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(x[o + i] - max);
    x[o + i] = e;
    sum += e;
  }
  const inv = 1 / sum;
  for (let i = 0; i < n; i++) x[o + i] *= inv;
}
