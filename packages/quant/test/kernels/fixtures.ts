/**
 * Test fixtures for the fast kernels: random weights and activations placed in an arena, and
 * the independent oracles they are checked against.
 */
import { Arena } from '../../src/arena.js';
import type { WeightRef } from '../../src/backend.js';
import { getFormat } from '../../src/formats/index.js';
import { matmulRef } from '../../src/reference/matmul.js';
import { GGMLType, rowBytes, typeName } from '../../src/types.js';
import { randomF32, randomRowBytes, rng } from '../helpers/random.js';

/** Every weight type the WASM kernels cover, in the brief's priority order. */
export const KERNEL_TYPES: readonly GGMLType[] = [
  GGMLType.Q4_0, GGMLType.Q8_0, GGMLType.F32, GGMLType.F16, GGMLType.Q4_K, GGMLType.Q6_K,
  GGMLType.Q5_0, GGMLType.Q5_1, GGMLType.Q4_1, GGMLType.IQ4_NL, GGMLType.BF16, GGMLType.Q5_K,
  GGMLType.Q3_K, GGMLType.Q2_K,
];

export const FLOAT_TYPES: ReadonlySet<GGMLType> = new Set([GGMLType.F32, GGMLType.F16, GGMLType.BF16]);

export interface Problem {
  w: WeightRef;
  x: Float32Array;
  out: Float32Array;
  nTokens: number;
}

/** A random `rows`×`cols` matrix of `type` and `nTokens` activation rows, all in `arena`. */
export function makeProblem(arena: Arena, type: GGMLType, rows: number, cols: number, nTokens: number, seed: number): Problem {
  const rand = rng(seed);
  const bytes = randomRowBytes(rand, type, rows * cols);
  if (bytes.length !== rows * rowBytes(type, cols)) throw new Error('unexpected row size');
  // Odd offsets: the kernels must not rely on alignment of weights.
  const wOff = arena.alloc(bytes.length + 3) + 3;
  const data = arena.u8(wOff, bytes.length);
  data.set(bytes);
  const x = arena.allocF32(nTokens * cols);
  // Activations with a few large outliers per row, as real hidden states have.
  x.set(randomF32(rand, nTokens * cols, 2));
  for (let i = 0; i < nTokens * cols; i += 97) x[i] *= 8;
  const out = arena.allocF32(nTokens * rows);
  return { w: { name: `${typeName(type)}-${rows}x${cols}`, type, rows, cols, data }, x, out, nTokens };
}

export function reference(p: Problem, x = p.x): Float32Array {
  const out = new Float32Array(p.nTokens * p.w.rows);
  matmulRef(p.w.type, p.w.data, 0, p.w.rows, p.w.cols, x, 0, p.nTokens, out, 0, new Float32Array(p.w.cols));
  return out;
}

export function dequantized(p: Problem): Float32Array {
  const { type, rows, cols, data } = p.w;
  const wf = new Float32Array(rows * cols);
  const f = getFormat(type);
  for (let r = 0; r < rows; r++) f.dequantizeRow(data, r * rowBytes(type, cols), wf, r * cols, cols);
  return wf;
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The activations as the kernels see them: per 32 values d = max|x|/127 and x̃ = round(x/d)·d,
 * computed here in f32 like llama.cpp's quantize_row_q8_0 (with round-half-even).
 */
export function quantizeLikeQ8(x: Float32Array, cols: number): { xq: Float32Array; d: Float32Array } {
  const F = Math.fround;
  const xq = new Float32Array(x.length);
  const d = new Float32Array(x.length / 32);
  for (let b = 0; b < x.length; b += 32) {
    let amax = 0;
    for (let i = b; i < b + 32; i++) amax = Math.max(amax, Math.abs(x[i]));
    const db = F(amax / 127);
    const inv = db !== 0 ? F(1 / db) : 0;
    for (let i = b; i < b + 32; i++) xq[i] = F(roundHalfEven(F(x[i] * inv)) * db);
    d[b / 32] = db;
  }
  if (cols % 32 !== 0) throw new Error('cols must be a multiple of 32');
  return { xq, d };
}

/** Per output: Σ|w|·|x| (the scale of f32 rounding) and Σ|w|·d/2 (the activation-rounding bound). */
export function errorScales(p: Problem, wf: Float32Array, d: Float32Array | undefined): { mag: Float64Array; qbound: Float64Array } {
  const { rows, cols } = p.w;
  const mag = new Float64Array(p.nTokens * rows);
  const qbound = new Float64Array(p.nTokens * rows);
  for (let t = 0; t < p.nTokens; t++) {
    for (let r = 0; r < rows; r++) {
      let m = 0, q = 0;
      for (let c = 0; c < cols; c++) {
        const aw = Math.abs(wf[r * cols + c]);
        m += aw * Math.abs(p.x[t * cols + c]);
        if (d) q += (aw * d[(t * cols + c) >> 5]) / 2;
      }
      mag[t * rows + r] = m;
      qbound[t * rows + r] = q;
    }
  }
  return { mag, qbound };
}
