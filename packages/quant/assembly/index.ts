// The kernel module's exports. It imports the arena's shared memory, keeps no state of its own and
// allocates nothing, so any number of threads can run it over the same memory at once: every
// address it touches is passed in.
//
// Memory map: the arena reserves the first 256 KiB for this module. It has no data segments and no
// shadow stack; the reserved bytes hold only the half→float table (common.ts, F16_TABLE, exactly
// 65536 × 4 bytes), written by initTables().

import {
  F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, F16_TABLE, f16ToF32,
} from './common';
import { activationStride as stride } from './activations';
import {
  matmulQ4_0, matmulQ4_1, matmulQ5_0, matmulQ5_1, matmulQ8_0, matmulIQ4_NL,
  matmulQ2_K, matmulQ3_K, matmulQ4_K, matmulQ5_K, matmulQ6_K,
} from './quantized';
import { matmulF32, matmulF16, matmulBF16 } from './float';

export { quantizeActivations } from './activations';

/**
 * Fills the module's tables in the reserved start of memory (see common.ts). Run once per memory
 * before any kernel; idempotent, so every instance may run it.
 */
export function initTables(): void {
  for (let h: u32 = 0; h < 65536; h++) store<f32>(F16_TABLE + (<usize>h << 2), f16ToF32(h));
}

/** Bytes of one quantized activation row of `cols` values. */
export function activationStride(cols: i32): i32 {
  return <i32>stride(cols);
}

/** 1 when `type` has a kernel, 0 otherwise. */
export function hasKernel(type: i32): i32 {
  switch (type) {
    case F32: case F16: case BF16: case Q4_0: case Q4_1: case Q5_0: case Q5_1: case Q8_0: case IQ4_NL:
    case Q2_K: case Q3_K: case Q4_K: case Q5_K: case Q6_K:
      return 1;
    default:
      return 0;
  }
}

/** 1 when `type` multiplies quantized activations (quantizeActivations output), 0 for f32 ones. */
export function usesQuantizedActivations(type: i32): i32 {
  return type == F32 || type == F16 || type == BF16 ? 0 : 1;
}

/**
 * Rows [r0, r1) of a `rows` × `cols` weight matrix of `type` at `w` (rows `rowBytes` apart) times
 * `nTokens` activation rows at `act` (f32 rows for F32/F16/BF16, quantized rows otherwise), into
 * out[t·rows + r] (f32). Returns 0, or -1 for a type without a kernel.
 */
export function matmul(type: i32, w: usize, rowBytes: usize, rows: i32, cols: i32, r0: i32, r1: i32, act: usize, nTokens: i32, out: usize): i32 {
  switch (type) {
    case F32: matmulF32(w, rowBytes, rows, cols, r0, r1, act, nTokens, out); break;
    case F16: matmulF16(w, rowBytes, rows, cols, r0, r1, act, nTokens, out); break;
    case BF16: matmulBF16(w, rowBytes, rows, cols, r0, r1, act, nTokens, out); break;
    case Q4_0: matmulQ4_0(w, rowBytes, rows, cols, r0, r1, act, nTokens, out); break;
    case Q4_1: matmulQ4_1(w, rowBytes, rows, cols, r0, r1, act, nTokens, out); break;
    case Q5_0: matmulQ5_0(w, rowBytes, rows, cols, r0, r1, act, nTokens, out); break;
    case Q5_1: matmulQ5_1(w, rowBytes, rows, cols, r0, r1, act, nTokens, out); break;
    case Q8_0: matmulQ8_0(w, rowBytes, rows, cols, r0, r1, act, nTokens, out); break;
    case IQ4_NL: matmulIQ4_NL(w, rowBytes, rows, cols, r0, r1, act, nTokens, out); break;
    case Q2_K: matmulQ2_K(w, rowBytes, rows, cols, r0, r1, act, nTokens, out); break;
    case Q3_K: matmulQ3_K(w, rowBytes, rows, cols, r0, r1, act, nTokens, out); break;
    case Q4_K: matmulQ4_K(w, rowBytes, rows, cols, r0, r1, act, nTokens, out); break;
    case Q5_K: matmulQ5_K(w, rowBytes, rows, cols, r0, r1, act, nTokens, out); break;
    case Q6_K: matmulQ6_K(w, rowBytes, rows, cols, r0, r1, act, nTokens, out); break;
    default: return -1;
  }
  return 0;
}

export { attention, expArray } from './attention';
export { swiglu } from './elementwise';
