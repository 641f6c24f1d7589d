import { describe, expect, it } from 'vitest';
import { dequantizeRowF32, dotRowF32, quantizeRowF32 } from '../../src/formats/f32.js';

describe('F32 rows', () => {
  it('reads little-endian floats at an unaligned offset', () => {
    // 1.0 = 00 00 80 3f, -2.5 = 00 00 20 c0, 2^-149 (smallest subnormal) = 01 00 00 00
    const src = new Uint8Array([0xee, 0, 0, 0x80, 0x3f, 0, 0, 0x20, 0xc0, 1, 0, 0, 0]);
    const dst = new Float32Array(4);
    dequantizeRowF32(src, 1, dst, 1, 3);
    expect([...dst]).toEqual([0, 1, -2.5, 2 ** -149]);
    expect(dotRowF32(src, 1, new Float32Array([5, 3, 2, 0]), 1, 3)).toBe(3 - 5);
  });

  it('copies values bit for bit, NaN payloads included', () => {
    const src = new Float32Array([1.5, -0, 3.25, 0]);
    new Uint32Array(src.buffer)[3] = 0x7fa00001; // a signalling NaN with a payload
    const bytes = new Uint8Array(19).fill(0xcc);
    quantizeRowF32(src, 1, bytes, 3, 3);
    expect(bytes[2]).toBe(0xcc);
    expect([...bytes.subarray(3, 15)]).toEqual([...new Uint8Array(src.buffer, 4, 12)]);
    expect(bytes[15]).toBe(0xcc);
    const back = new Float32Array(3);
    dequantizeRowF32(bytes, 3, back, 0, 3);
    expect(Object.is(back[0], -0)).toBe(true);
    expect(back[1]).toBe(3.25);
    expect(back[2]).toBeNaN();
  });
});
