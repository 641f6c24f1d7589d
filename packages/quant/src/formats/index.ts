/**
 * The format registry: one `FormatOps` per weight type Legato can compute with, looked up by
 * ggml type id.
 */
import { GGMLType, SUPPORTED_WEIGHT_TYPES, TYPE_INFO, typeName } from '../types.js';
import { dequantizeRowF32, dotRowF32, quantizeRowF32 } from './f32.js';
import {
  dequantizeRowBF16,
  dequantizeRowF16,
  dotRowBF16,
  dotRowF16,
  quantizeRowBF16,
  quantizeRowF16,
} from './f16.js';
import { dequantizeRowQ4_0, dotRowQ4_0, quantizeRowQ4_0 } from './q4_0.js';
import { dequantizeRowQ4_1, dotRowQ4_1, quantizeRowQ4_1 } from './q4_1.js';
import { dequantizeRowQ5_0, dequantizeRowQ5_1, dotRowQ5_0, dotRowQ5_1, quantizeRowQ5_0, quantizeRowQ5_1 } from './q5.js';
import { dequantizeRowQ8_0, dotRowQ8_0, quantizeRowQ8_0 } from './q8_0.js';
import {
  dequantizeRowQ2_K,
  dequantizeRowQ3_K,
  dequantizeRowQ4_K,
  dequantizeRowQ5_K,
  dequantizeRowQ6_K,
  dotRowQ2_K,
  dotRowQ3_K,
  dotRowQ4_K,
  dotRowQ5_K,
  dotRowQ6_K,
} from './kquants.js';
import { dequantizeRowIQ4_NL, dotRowIQ4_NL } from './iq4_nl.js';
import { quantizeRowQ4_K, quantizeRowQ5_K, quantizeRowQ6_K } from './kquants-quantize.js';

/** Dequantizes n elements (a multiple of blockSize) of a row starting at byte srcOffset. */
export type DequantizeRowFn = (src: Uint8Array, srcOffset: number, dst: Float32Array, dstOffset: number, n: number) => void;
/** Dot product of a stored row (n elements at byte srcOffset) with f32 activations x[xOffset, xOffset + n). */
export type DotRowFn = (src: Uint8Array, srcOffset: number, x: Float32Array, xOffset: number, n: number) => number;
/** Encodes n f32 values (a multiple of blockSize) into whole blocks starting at byte dstOffset. */
export type QuantizeRowFn = (src: Float32Array, srcOffset: number, dst: Uint8Array, dstOffset: number, n: number) => void;

export interface FormatOps {
  readonly type: GGMLType;
  readonly name: string;
  readonly blockSize: number;
  readonly typeSize: number;
  /** Writes the row's values as f32 (bit-exact with ggml's dequantize_row_*). */
  dequantizeRow: DequantizeRowFn;
  /**
   * The dot of the dequantized row with x, accumulated in f64. Equal to an f64 dot over
   * `dequantizeRow`'s output up to summation order (block scales are factored out of the sums).
   */
  dotRow: DotRowFn;
  /** Present for types Legato can write; byte-exact with ggml's quantize_row_*_ref. */
  quantizeRow?: QuantizeRowFn;
}

export class UnsupportedTypeError extends Error {
  constructor(readonly type: number) {
    super(
      `ggml type ${type} (${typeName(type)}) is not supported for weights; supported types: ` +
        SUPPORTED_WEIGHT_TYPES.map((t) => `${typeName(t)} (${t})`).join(', '),
    );
    this.name = 'UnsupportedTypeError';
  }
}

function ops(type: GGMLType, dequantizeRow: DequantizeRowFn, dotRow: DotRowFn, quantizeRow?: QuantizeRowFn): FormatOps {
  const info = TYPE_INFO[type];
  return Object.freeze({
    type,
    name: info.name,
    blockSize: info.blockSize,
    typeSize: info.typeSize,
    dequantizeRow,
    dotRow,
    ...(quantizeRow ? { quantizeRow } : {}),
  });
}

const FORMATS: ReadonlyMap<number, FormatOps> = new Map(
  [
    ops(GGMLType.F32, dequantizeRowF32, dotRowF32, quantizeRowF32),
    ops(GGMLType.F16, dequantizeRowF16, dotRowF16, quantizeRowF16),
    ops(GGMLType.BF16, dequantizeRowBF16, dotRowBF16, quantizeRowBF16),
    ops(GGMLType.Q8_0, dequantizeRowQ8_0, dotRowQ8_0, quantizeRowQ8_0),
    ops(GGMLType.Q4_0, dequantizeRowQ4_0, dotRowQ4_0, quantizeRowQ4_0),
    ops(GGMLType.Q4_1, dequantizeRowQ4_1, dotRowQ4_1, quantizeRowQ4_1),
    ops(GGMLType.Q5_0, dequantizeRowQ5_0, dotRowQ5_0, quantizeRowQ5_0),
    ops(GGMLType.Q5_1, dequantizeRowQ5_1, dotRowQ5_1, quantizeRowQ5_1),
    ops(GGMLType.Q2_K, dequantizeRowQ2_K, dotRowQ2_K),
    ops(GGMLType.Q3_K, dequantizeRowQ3_K, dotRowQ3_K),
    ops(GGMLType.Q4_K, dequantizeRowQ4_K, dotRowQ4_K, quantizeRowQ4_K),
    ops(GGMLType.Q5_K, dequantizeRowQ5_K, dotRowQ5_K, quantizeRowQ5_K),
    ops(GGMLType.Q6_K, dequantizeRowQ6_K, dotRowQ6_K, quantizeRowQ6_K),
    ops(GGMLType.IQ4_NL, dequantizeRowIQ4_NL, dotRowIQ4_NL),
  ].map((f) => [f.type, f] as const),
);

/** The operations for a weight type; throws `UnsupportedTypeError` for any other id. */
export function getFormat(type: number): FormatOps {
  const f = FORMATS.get(type);
  if (!f) throw new UnsupportedTypeError(type);
  return f;
}

/** Every registered format, in registration order. */
export function allFormats(): FormatOps[] {
  return [...FORMATS.values()];
}

export * from './f32.js';
export * from './f16.js';
export * from './q4_0.js';
export * from './q4_1.js';
export * from './q5.js';
export * from './q8_0.js';
export * from './kquants.js';
export * from './kquants-quantize.js';
export * from './iq4_nl.js';
