/**
 * F32 weights.
 *
 * Layout: one element per "block", 4 bytes, IEEE 754 binary32 little-endian.
 *
 * A tensor's bytes need not be 4-byte aligned inside the buffer they were read into, so rows are
 * decoded byte by byte through a shared scratch word instead of a Float32Array view.
 */

const word = new Float32Array(1);
const wordBits = new Uint32Array(word.buffer);

/** Little-endian binary32 at any byte offset. */
function readF32(src: Uint8Array, o: number): number {
  wordBits[0] = src[o] | (src[o + 1] << 8) | (src[o + 2] << 16) | (src[o + 3] << 24);
  return word[0];
}

export function dequantizeRowF32(src: Uint8Array, srcOffset: number, dst: Float32Array, dstOffset: number, n: number): void {
  for (let i = 0, o = srcOffset; i < n; i++, o += 4) dst[dstOffset + i] = readF32(src, o);
}

export function dotRowF32(src: Uint8Array, srcOffset: number, x: Float32Array, xOffset: number, n: number): number {
  let sum = 0;
  for (let i = 0, o = srcOffset; i < n; i++, o += 4) sum += readF32(src, o) * x[xOffset + i];
  return sum;
}

/** Copies n f32 values into bytes bit for bit, NaN payloads included (the GGUF writer's F32 path). */
export function quantizeRowF32(src: Float32Array, srcOffset: number, dst: Uint8Array, dstOffset: number, n: number): void {
  dst.set(new Uint8Array(src.buffer, src.byteOffset + srcOffset * 4, n * 4), dstOffset);
}
