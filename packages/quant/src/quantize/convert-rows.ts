/**
 * Re-encodes a range of rows from one ggml type to another (dequantize to f32, then quantize, a
 * row at a time): the unit of work of model quantization, run in-process or on a worker.
 */
import { getFormat } from '../formats/index.js';
import { GGMLType, rowBytes, typeName } from '../types.js';

/** Rows [rowStart, rowEnd) of a row-major matrix `cols` wide, stored whole as `srcType` in `src`. */
export interface RowRange {
  readonly src: Uint8Array;
  readonly srcType: GGMLType;
  /** The whole destination tensor: row r is written at r * rowBytes(dstType, cols). */
  readonly dst: Uint8Array;
  readonly dstType: GGMLType;
  readonly cols: number;
  readonly rowStart: number;
  readonly rowEnd: number;
}

/**
 * Checks a whole-tensor conversion before any row is converted (both QuantizePool twins): the
 * source type must be readable and the destination quantizable, and both views large enough.
 * Returns the bytes the conversion reads and writes.
 */
export function checkConversion(job: Omit<RowRange, 'rowStart' | 'rowEnd'> & { readonly rows: number }): { srcBytes: number; dstBytes: number } {
  const from = getFormat(job.srcType);
  if (!getFormat(job.dstType).quantizeRow) throw new RangeError(`cannot quantize to ${typeName(job.dstType)}`);
  const srcBytes = rowBytes(from.type, job.cols) * job.rows;
  const dstBytes = rowBytes(job.dstType, job.cols) * job.rows;
  if (job.src.byteLength < srcBytes) throw new RangeError(`source holds ${job.src.byteLength} bytes, ${srcBytes} needed`);
  if (job.dst.byteLength < dstBytes) throw new RangeError(`destination holds ${job.dst.byteLength} bytes, ${dstBytes} needed`);
  return { srcBytes, dstBytes };
}

let scratch = new Float32Array(0);

/**
 * Converts rows [rowStart, rowEnd) of `src` into the same rows of `dst` (both whole tensors laid
 * out row after row). Throws if either type has no dequantizer/quantizer or `cols` does not fit
 * their blocks. Allocates only when a wider row than ever before comes along.
 */
export function convertRows(r: RowRange): void {
  const from = getFormat(r.srcType);
  const to = getFormat(r.dstType);
  const quantize = to.quantizeRow;
  if (!quantize) throw new RangeError(`cannot quantize to ${typeName(r.dstType)}`);
  const srcRow = rowBytes(r.srcType, r.cols);
  const dstRow = rowBytes(r.dstType, r.cols);
  if (scratch.length < r.cols) scratch = new Float32Array(r.cols);
  // An aligned F32 source is quantized in place, without the copy into scratch.
  const direct = r.srcType === GGMLType.F32 && (r.src.byteOffset & 3) === 0;
  const f32 = direct ? new Float32Array(r.src.buffer, r.src.byteOffset, r.src.byteLength >>> 2) : scratch;
  for (let row = r.rowStart; row < r.rowEnd; row++) {
    let at = 0;
    if (direct) at = row * r.cols;
    else from.dequantizeRow(r.src, row * srcRow, f32, 0, r.cols);
    quantize(f32, at, r.dst, row * dstRow, r.cols);
  }
}
