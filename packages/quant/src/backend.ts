/**
 * The seam between the model and the arithmetic: the forward pass asks a backend for matrix
 * products and never cares whether they run in plain TypeScript, WASM SIMD, or across threads.
 */
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

export interface ComputeBackend {
  readonly name: string;
  /**
   * out[t*rows + r] = Σ_c W[r][c] · x[t*cols + c] for t < nTokens.
   * `x` and `out` are arena views when the backend needs addresses (WASM); they must not overlap.
   */
  matmul(w: WeightRef, x: Float32Array, nTokens: number, out: Float32Array): void;
  /** Ends worker threads and releases what the backend holds. Idempotent. */
  dispose(): void;
}
