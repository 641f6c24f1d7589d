/**
 * The plain-TypeScript backend: readable, always available, and the oracle the fast paths are
 * tested against. Single-threaded; f32 math over dequantized weight rows.
 */
import type { ComputeBackend, WeightRef } from '../backend.js';
import { matmulRef } from './matmul.js';

export class ReferenceBackend implements ComputeBackend {
  readonly name = 'reference';
  private scratch = new Float32Array(0);

  matmul(w: WeightRef, x: Float32Array, nTokens: number, out: Float32Array): void {
    if (this.scratch.length < w.cols) this.scratch = new Float32Array(w.cols);
    matmulRef(w.type, w.data, 0, w.rows, w.cols, x, 0, nTokens, out, 0, this.scratch);
  }

  dispose(): void {}
}
