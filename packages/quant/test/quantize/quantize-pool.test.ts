/**
 * The worker pool: tensors converted on two worker threads (loaded from the TypeScript sources
 * through tsx, since vitest's transform does not reach worker threads) come out byte for byte
 * like an in-process conversion, the work really lands on two threads, and errors surface.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { getFormat } from '../../src/formats/index.js';
import { convertRows } from '../../src/quantize/convert-rows.js';
import { QuantizePool } from '../../src/quantize/quantize-pool.js';
import { GGMLType, rowBytes } from '../../src/types.js';
import { randomF32, randomRowBytes, rng } from '../helpers/random.js';

function shared(bytes: Uint8Array): Uint8Array {
  const s = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  s.set(bytes);
  return s;
}

const ROWS = 96;
const COLS = 1024;
const f32 = randomF32(rng(3), ROWS * COLS, 0.05);
const f32Bytes = new Uint8Array(f32.buffer);
const q4Bytes = randomRowBytes(rng(4), GGMLType.Q4_0, ROWS * COLS);

/** In-process reference: every row through dequantizeRow + quantizeRow directly. */
function reference(src: Uint8Array, srcType: GGMLType, dstType: GGMLType): Uint8Array {
  const out = new Uint8Array(rowBytes(dstType, COLS) * ROWS);
  const row = new Float32Array(COLS);
  for (let r = 0; r < ROWS; r++) {
    getFormat(srcType).dequantizeRow(src, r * rowBytes(srcType, COLS), row, 0, COLS);
    getFormat(dstType).quantizeRow!(row, 0, out, r * rowBytes(dstType, COLS), COLS);
  }
  return out;
}

const pool = new QuantizePool({ threads: 2 });
afterAll(() => pool.destroy());

describe('QuantizePool', () => {
  it.each([
    [GGMLType.F32, GGMLType.Q4_K],
    [GGMLType.F32, GGMLType.Q6_K],
    [GGMLType.F32, GGMLType.Q8_0],
    [GGMLType.Q4_0, GGMLType.Q5_K],
    [GGMLType.Q4_0, GGMLType.F16],
  ])('converts type %s to %s on two workers exactly like in-process', async (srcType, dstType) => {
    const src = shared(srcType === GGMLType.F32 ? f32Bytes : q4Bytes);
    const dst = new Uint8Array(new SharedArrayBuffer(rowBytes(dstType, COLS) * ROWS));
    let rows = 0;
    await pool.convert({ src, srcType, dst, dstType, rows: ROWS, cols: COLS }, (n) => (rows += n));
    expect(rows).toBe(ROWS);
    expect(dst).toEqual(reference(src, srcType, dstType));
  });

  it('spreads the rows over both worker threads', () => {
    expect(pool.workerThreadsUsed).toBe(2);
  });

  it('converts at byte offsets inside larger shared buffers', async () => {
    const big = new Uint8Array(new SharedArrayBuffer(f32Bytes.byteLength + 64));
    big.set(f32Bytes, 64);
    const out = new Uint8Array(new SharedArrayBuffer(rowBytes(GGMLType.Q4_K, COLS) * ROWS + 10));
    const dst = out.subarray(10);
    await pool.convert({ src: big.subarray(64), srcType: GGMLType.F32, dst, dstType: GGMLType.Q4_K, rows: ROWS, cols: COLS });
    expect(dst).toEqual(reference(f32Bytes, GGMLType.F32, GGMLType.Q4_K));
    expect([...out.subarray(0, 10)].every((b) => b === 0)).toBe(true);
  });

  it('in-process (threads: 1) gives the same bytes and needs no shared memory', async () => {
    const one = new QuantizePool({ threads: 1 });
    const dst = new Uint8Array(rowBytes(GGMLType.Q5_K, COLS) * ROWS);
    await one.convert({ src: f32Bytes, srcType: GGMLType.F32, dst, dstType: GGMLType.Q5_K, rows: ROWS, cols: COLS });
    expect(one.workerThreadsUsed).toBe(0);
    expect(dst).toEqual(reference(f32Bytes, GGMLType.F32, GGMLType.Q5_K));
    await one.destroy();
  });

  it('refuses non-shared buffers with several threads, and types it cannot write', async () => {
    const dst = new Uint8Array(rowBytes(GGMLType.Q8_0, COLS) * ROWS);
    await expect(pool.convert({ src: f32Bytes, srcType: GGMLType.F32, dst, dstType: GGMLType.Q8_0, rows: ROWS, cols: COLS })).rejects.toThrow(/SharedArrayBuffer/);
    await expect(pool.convert({ src: shared(f32Bytes), srcType: GGMLType.F32, dst, dstType: GGMLType.Q3_K, rows: ROWS, cols: COLS })).rejects.toThrow(/Q3_K/);
  });

  it('convertRows converts only the rows asked for', () => {
    const dst = new Uint8Array(rowBytes(GGMLType.Q8_0, COLS) * ROWS);
    convertRows({ src: f32Bytes, srcType: GGMLType.F32, dst, dstType: GGMLType.Q8_0, cols: COLS, rowStart: 10, rowEnd: 12 });
    const ref = reference(f32Bytes, GGMLType.F32, GGMLType.Q8_0);
    const rb = rowBytes(GGMLType.Q8_0, COLS);
    expect(dst.subarray(10 * rb, 12 * rb)).toEqual(ref.subarray(10 * rb, 12 * rb));
    expect([...dst.subarray(0, 10 * rb), ...dst.subarray(12 * rb)].every((b) => b === 0)).toBe(true);
  });
});
