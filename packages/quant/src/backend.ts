/**
 * The seam between the model and the arithmetic: the forward pass asks a backend for matrix
 * products and never cares whether they run in plain TypeScript, WASM SIMD, or across threads.
 */
import type { KVType } from './kv-types.js';
import type { GGMLType } from './types.js';

/** A weight matrix in the arena: `rows` rows of `cols` elements, stored row after row in `type`. */
export interface WeightRef {
  readonly name: string;
  readonly type: GGMLType;
  readonly rows: number;
  readonly cols: number;
  /** The tensor's bytes: a view into the arena's buffer (so `data.byteOffset` is its arena address). */
  readonly data: Uint8Array;
}

/** The fixed shape of a model's attention (one object per model, reused by every call). */
export interface AttentionShape {
  /** Query heads. */
  readonly nHeads: number;
  /** K/V heads; query head h reads KV head ⌊h / (nHeads / nKVHeads)⌋ (grouped-query attention). */
  readonly nKVHeads: number;
  /** Floats per head (a multiple of 4 for the WASM kernel). */
  readonly headDim: number;
  /** Factor applied to q·k before the softmax, usually 1/√headDim. */
  readonly scale: number;
  /**
   * Attention-logit soft-cap c (Gemma 2): each score s = scale·q·k becomes c·tanh(s/c) before the
   * softmax. 0 or absent = none.
   */
  readonly softcap?: number;
}

export interface ComputeBackend {
  readonly name: string;
  /**
   * out[t*rows + r] = Σ_c W[r][c] · x[t*cols + c] for t < nTokens.
   * `x` and `out` are arena views when the backend needs addresses (WASM); they must not overlap.
   */
  matmul(w: WeightRef, x: Float32Array, nTokens: number, out: Float32Array): void;
  /**
   * Causal grouped-query attention for tokens [t0, t1) of a batch, all of ONE sequence whose K/V
   * rows live in `kv`, stored as `kvType` (see kv-types.ts). For each token t and query head h:
   *   out[t][h] = Σ_{p < lens[t]} softmax_p(cap(scale · q[t][h]·K_p)) · V_p   (cap: `shape.softcap`, if set)
   * where q and out are [token][nHeads·headDim] (token t's row at t·nHeads·headDim), and position
   * p's K and V rows start at bytes rows[2p] and rows[2p+1] of `kv` (KV head g at + g·kvRowBytes(
   * kvType, headDim)): byte offsets as the KV cache's kOffset/vOffset return them, so contiguous
   * and paged caches both work. The cache is read in place in its type. lens[t] ≥ 1 is the number
   * of positions token t sees (its position + 1); `rows` covers the largest. Views of the arena for
   * the WASM backend (anything else takes the reference path).
   */
  attention(
    shape: AttentionShape, q: Float32Array, kv: Uint8Array, kvType: KVType, rows: Int32Array, lens: Int32Array,
    t0: number, t1: number, out: Float32Array,
  ): void;
  /**
   * SwiGLU in place: gate[i] = silu(gate[i]) · up[i] = gate[i] / (1 + e^−gate[i]) · up[i] for i < n.
   * Arena views for the WASM backend (anything else takes the reference path).
   */
  swiglu(gate: Float32Array, up: Float32Array, n: number): void;
  /** Ends worker threads and releases what the backend holds. Idempotent. */
  dispose(): void;
}
