/**
 * Whole-tensor dequantization, for tests, tools and loaders that want plain f32 weights.
 */
import { getFormat } from '../formats/index.js';
import { GGMLType, rowBytes } from '../types.js';

/** Dequantizes `nElements` stored contiguously at `src[srcOffset..]` (whole blocks) into `dst[dstOffset..]`. */
export function dequantizeTensor(
  type: GGMLType,
  src: Uint8Array,
  srcOffset: number,
  nElements: number,
  dst: Float32Array,
  dstOffset = 0,
): void {
  const format = getFormat(type);
  const bytes = rowBytes(type, nElements);
  if (srcOffset + bytes > src.length) {
    throw new RangeError(`${nElements} ${format.name} elements need ${bytes} bytes from offset ${srcOffset}, the buffer has ${src.length}`);
  }
  if (dstOffset + nElements > dst.length) {
    throw new RangeError(`dst needs ${dstOffset + nElements} values, it has ${dst.length}`);
  }
  format.dequantizeRow(src, srcOffset, dst, dstOffset, nElements);
}
