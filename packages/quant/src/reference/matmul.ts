/**
 * The plain-TypeScript matmul every faster kernel is checked against: exact f32 weights (as
 * ggml dequantizes them) times f32 activations, accumulated in f64.
 */
import { getFormat } from '../formats/index.js';
import { GGMLType, rowBytes } from '../types.js';

/**
 * out[outOffset + t*rows + r] = dot(W row r, x[xOffset + t*cols .. + cols)) for r in
 * [rowStart, rowEnd), t in [0, nTokens). W rows are rowBytes(type, cols) apart starting at wOffset.
 *
 * Each weight row is dequantized once into `scratch` (length >= cols) and reused for every token,
 * so a prefill of N tokens costs one pass over the weights, not N. 4-byte-aligned F32 weights are
 * read in place without the copy.
 */
export function matmulRef(
  type: GGMLType,
  w: Uint8Array,
  wOffset: number,
  rows: number,
  cols: number,
  x: Float32Array,
  xOffset: number,
  nTokens: number,
  out: Float32Array,
  outOffset: number,
  scratch: Float32Array,
  rowStart = 0,
  rowEnd = rows,
): void {
  const format = getFormat(type);
  const stride = rowBytes(type, cols);
  if (rowStart < 0 || rowEnd > rows || rowStart > rowEnd) {
    throw new RangeError(`row range [${rowStart}, ${rowEnd}) is outside the matrix's ${rows} rows`);
  }
  if (wOffset + rowEnd * stride > w.length) {
    throw new RangeError(`weights need ${wOffset + rowEnd * stride} bytes, the buffer has ${w.length}`);
  }
  if (xOffset + nTokens * cols > x.length) {
    throw new RangeError(`activations need ${xOffset + nTokens * cols} values, x has ${x.length}`);
  }
  if (nTokens > 0 && outOffset + (nTokens - 1) * rows + rowEnd > out.length) {
    throw new RangeError(`output needs ${outOffset + (nTokens - 1) * rows + rowEnd} values, out has ${out.length}`);
  }

  const byteStart = w.byteOffset + wOffset + rowStart * stride;
  const inPlace = type === GGMLType.F32 && byteStart % 4 === 0;
  if (!inPlace && scratch.length < cols) {
    throw new RangeError(`scratch holds ${scratch.length} values, a row needs ${cols}`);
  }
  const wf = inPlace ? wholeF32(w.buffer) : scratch;

  for (let r = rowStart; r < rowEnd; r++) {
    let wr = 0;
    if (inPlace) wr = byteStart / 4 + (r - rowStart) * cols;
    else format.dequantizeRow(w, wOffset + r * stride, scratch, 0, cols);
    for (let t = 0; t < nTokens; t++) {
      const xt = xOffset + t * cols;
      let s = 0;
      for (let c = 0; c < cols; c++) s += wf[wr + c] * x[xt + c];
      out[outOffset + t * rows + r] = s;
    }
  }
}

/**
 * One Float32Array over each whole buffer, made once: a per-call view over the weights would
 * allocate on every matmul, and the decode loop must allocate nothing.
 */
const f32Views = new WeakMap<ArrayBufferLike, Float32Array>();
function wholeF32(buffer: ArrayBufferLike): Float32Array {
  let v = f32Views.get(buffer);
  if (!v) {
    v = new Float32Array(buffer, 0, Math.floor(buffer.byteLength / 4));
    f32Views.set(buffer, v);
  }
  return v;
}
