/**
 * K-quant layouts. Blocks are built from chosen logical values (integer quants, sub-block scales
 * and mins) with packers transcribed from ggml's quantize_row_*_ref bit packing, so the expected
 * floats come straight from the format's formula; random blocks are checked bit for bit against a
 * literal port of ggml's dequantize_row_*.
 */
import { describe, expect, it } from 'vitest';
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
  kMin,
  kScale,
  q3kScale,
} from '../../src/formats/kquants.js';
import { GGMLType } from '../../src/types.js';
import { ggmlDequantize } from '../helpers/ggml-port.js';
import { randomF32, randomRowBytes, rng } from '../helpers/random.js';

type Rand = () => number;
const int = (rand: Rand, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

// Exact f16 constants, written as bits so no conversion code is involved.
const D = { bits: 0x2c00, value: 0.0625 };
const DMIN = { bits: 0x2800, value: 0.03125 };

function put16(b: Uint8Array, o: number, bits: number): void {
  b[o] = bits & 0xff;
  b[o + 1] = bits >> 8;
}

/** quantize_row_q4_K_ref / q5_K_ref packing of eight 6-bit scales and mins into 12 bytes. */
function packScaleMinK4(dst: Uint8Array, o: number, sc: number[], m: number[]): void {
  for (let j = 0; j < 8; j++) {
    if (j < 4) {
      dst[o + j] = sc[j];
      dst[o + j + 4] = m[j];
    } else {
      dst[o + j + 4] = (sc[j] & 0xf) | ((m[j] & 0xf) << 4);
      dst[o + j - 4] |= (sc[j] >> 4) << 6;
      dst[o + j - 0] |= (m[j] >> 4) << 6;
    }
  }
}

/** The 2-bit plane packing shared by Q2_K and Q3_K's low bits. */
function pack2bit(dst: Uint8Array, o: number, L: number[]): void {
  for (let j = 0; j < 256; j += 128) {
    for (let l = 0; l < 32; l++) {
      dst[o + j / 4 + l] = L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6);
    }
  }
}

interface Logical {
  bytes: Uint8Array;
  expected: number[];
}

function makeQ2K(rand: Rand): Logical {
  const b = new Uint8Array(84);
  const sc = Array.from({ length: 16 }, () => int(rand, 0, 15));
  const m = Array.from({ length: 16 }, () => int(rand, 0, 15));
  sc[0] = 15;
  m[15] = 15;
  const L = Array.from({ length: 256 }, () => int(rand, 0, 3));
  for (let j = 0; j < 16; j++) b[j] = sc[j] | (m[j] << 4);
  pack2bit(b, 16, L);
  put16(b, 80, D.bits);
  put16(b, 82, DMIN.bits);
  const expected = L.map((q, e) => D.value * sc[e >> 4] * q - DMIN.value * m[e >> 4]);
  return { bytes: b, expected };
}

function makeQ3K(rand: Rand): Logical {
  const b = new Uint8Array(110);
  const ls = Array.from({ length: 16 }, () => int(rand, 0, 63));
  ls[3] = 63;
  ls[12] = 0;
  const L = Array.from({ length: 256 }, () => int(rand, 0, 7));
  // scales, as quantize_row_q3_K_ref packs them (bytes 96..107)
  for (let j = 0; j < 16; j++) {
    let l = ls[j];
    if (j < 8) b[96 + j] = l & 0xf;
    else b[96 + j - 8] |= (l & 0xf) << 4;
    l >>= 4;
    b[96 + (j % 4) + 8] |= l << (2 * Math.floor(j / 4));
  }
  // high bits: the first 32 quants in bit 0 of hmask[0..31], the next 32 in bit 1, ...
  const low = L.slice();
  let mm = 0;
  let hm = 1;
  for (let j = 0; j < 256; j++) {
    if (low[j] > 3) {
      b[mm] |= hm;
      low[j] -= 4;
    }
    if (++mm === 32) {
      mm = 0;
      hm <<= 1;
    }
  }
  pack2bit(b, 32, low);
  put16(b, 108, D.bits);
  const expected = L.map((q, e) => D.value * (ls[e >> 4] - 32) * (q - 4));
  return { bytes: b, expected };
}

function makeQ4K(rand: Rand): Logical {
  const b = new Uint8Array(144);
  const sc = Array.from({ length: 8 }, () => int(rand, 0, 63));
  const m = Array.from({ length: 8 }, () => int(rand, 0, 63));
  sc[5] = 63;
  m[6] = 63;
  const L = Array.from({ length: 256 }, () => int(rand, 0, 15));
  put16(b, 0, D.bits);
  put16(b, 2, DMIN.bits);
  packScaleMinK4(b, 4, sc, m);
  for (let j = 0, q = 16; j < 256; j += 64, q += 32) {
    for (let l = 0; l < 32; l++) b[q + l] = L[j + l] | (L[j + l + 32] << 4);
  }
  const expected = L.map((q, e) => D.value * sc[e >> 5] * q - DMIN.value * m[e >> 5]);
  return { bytes: b, expected };
}

function makeQ5K(rand: Rand): Logical {
  const b = new Uint8Array(176);
  const sc = Array.from({ length: 8 }, () => int(rand, 0, 63));
  const m = Array.from({ length: 8 }, () => int(rand, 0, 63));
  sc[7] = 63;
  m[4] = 63;
  const L = Array.from({ length: 256 }, () => int(rand, 0, 31));
  put16(b, 0, D.bits);
  put16(b, 2, DMIN.bits);
  packScaleMinK4(b, 4, sc, m);
  const qh = 16;
  let ql = 48;
  let m1 = 1;
  let m2 = 2;
  for (let n = 0; n < 256; n += 64) {
    for (let j = 0; j < 32; j++) {
      let l1 = L[n + j];
      if (l1 > 15) {
        l1 -= 16;
        b[qh + j] |= m1;
      }
      let l2 = L[n + j + 32];
      if (l2 > 15) {
        l2 -= 16;
        b[qh + j] |= m2;
      }
      b[ql + j] = l1 | (l2 << 4);
    }
    m1 <<= 2;
    m2 <<= 2;
    ql += 32;
  }
  const expected = L.map((q, e) => D.value * sc[e >> 5] * q - DMIN.value * m[e >> 5]);
  return { bytes: b, expected };
}

function makeQ6K(rand: Rand): Logical {
  const b = new Uint8Array(210);
  const sc = Array.from({ length: 16 }, () => int(rand, -128, 127));
  sc[2] = -128;
  sc[9] = 127;
  const L = Array.from({ length: 256 }, () => int(rand, 0, 63));
  let ql = 0;
  let qh = 128;
  for (let j = 0; j < 256; j += 128) {
    for (let l = 0; l < 32; l++) {
      const q1 = L[j + l] & 0xf;
      const q2 = L[j + l + 32] & 0xf;
      const q3 = L[j + l + 64] & 0xf;
      const q4 = L[j + l + 96] & 0xf;
      b[ql + l] = q1 | (q3 << 4);
      b[ql + l + 32] = q2 | (q4 << 4);
      b[qh + l] = (L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6);
    }
    ql += 64;
    qh += 32;
  }
  for (let j = 0; j < 16; j++) b[192 + j] = sc[j] & 0xff;
  put16(b, 208, D.bits);
  const expected = L.map((q, e) => D.value * sc[e >> 4] * (q - 32));
  return { bytes: b, expected };
}

type Dequant = (src: Uint8Array, so: number, dst: Float32Array, d: number, n: number) => void;
type Dot = (src: Uint8Array, so: number, x: Float32Array, xo: number, n: number) => number;

const CASES: { name: string; type: GGMLType; bytes: number; make: (r: Rand) => Logical; deq: Dequant; dot: Dot }[] = [
  { name: 'Q2_K', type: GGMLType.Q2_K, bytes: 84, make: makeQ2K, deq: dequantizeRowQ2_K, dot: dotRowQ2_K },
  { name: 'Q3_K', type: GGMLType.Q3_K, bytes: 110, make: makeQ3K, deq: dequantizeRowQ3_K, dot: dotRowQ3_K },
  { name: 'Q4_K', type: GGMLType.Q4_K, bytes: 144, make: makeQ4K, deq: dequantizeRowQ4_K, dot: dotRowQ4_K },
  { name: 'Q5_K', type: GGMLType.Q5_K, bytes: 176, make: makeQ5K, deq: dequantizeRowQ5_K, dot: dotRowQ5_K },
  { name: 'Q6_K', type: GGMLType.Q6_K, bytes: 210, make: makeQ6K, deq: dequantizeRowQ6_K, dot: dotRowQ6_K },
];

function dot64(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe('K-quant scale unpacking', () => {
  it('get_scale_min_k4 on a hand-packed 12-byte array', () => {
    // scales [1,2,3,4,33,34,35,63], mins [5,6,7,8,40,41,42,17], packed by hand:
    // bytes 0-3: sc[0..3] | (sc[4..7] >> 4) << 6; bytes 4-7: m[0..3] | (m[4..7] >> 4) << 6;
    // bytes 8-11: (sc[4..7] & 15) | (m[4..7] & 15) << 4
    const s = new Uint8Array([0xee, 0x81, 0x82, 0x83, 0xc4, 0x85, 0x86, 0x87, 0x48, 0x81, 0x92, 0xa3, 0x1f]);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((j) => kScale(s, 1, j))).toEqual([1, 2, 3, 4, 33, 34, 35, 63]);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((j) => kMin(s, 1, j))).toEqual([5, 6, 7, 8, 40, 41, 42, 17]);
  });

  it('Q3_K 6-bit scales on a hand-packed 12-byte array', () => {
    // low nibbles: scale j < 8 from byte j & 15, j >= 8 from byte j-8 >> 4;
    // high bits: (byte 8 + j%4) >> 2*(j/4) & 3. Worked out by hand, minus the bias of 32.
    const s = new Uint8Array([0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, 0xe4, 0x1b, 0x00, 0xff]);
    const got = Array.from({ length: 16 }, (_, j) => q3kScale(s, 0, j));
    expect(got).toEqual([-32, 18, -28, 22, -8, 10, -20, 30, 1, -13, -27, 23, 25, -21, -19, 31]);
  });
});

describe.each(CASES)('$name', ({ type, bytes: blockBytes, make, deq, dot }) => {
  it('dequantizes blocks built from known quants, scales and mins to the formula values', () => {
    const rand = rng(100 + type);
    const nBlocks = 6;
    const src = new Uint8Array(7 + nBlocks * blockBytes);
    const expected: number[] = [];
    for (let i = 0; i < nBlocks; i++) {
      const blk = make(rand);
      src.set(blk.bytes, 7 + i * blockBytes);
      expected.push(...blk.expected);
    }
    const dst = new Float32Array(3 + 256 * nBlocks + 1).fill(42);
    deq(src, 7, dst, 3, 256 * nBlocks);
    expect([...dst.subarray(3, 3 + 256 * nBlocks)]).toEqual(expected.map(Math.fround));
    expect(dst[2]).toBe(42);
    expect(dst[3 + 256 * nBlocks]).toBe(42);
  });

  it('matches ggml dequantize_row_* bit for bit on random blocks', () => {
    const rand = rng(200 + type);
    const n = 256 * 12;
    const raw = randomRowBytes(rand, type, n);
    const src = new Uint8Array(raw.length + 3);
    src.set(raw, 3);
    const dst = new Float32Array(n);
    deq(src, 3, dst, 0, n);
    const ref = ggmlDequantize(type, raw, n);
    for (let i = 0; i < n; i++) if (!Object.is(dst[i], ref[i])) expect.fail(`element ${i}: ${dst[i]} != ${ref[i]}`);
  });

  it('dot equals the f64 dot of the dequantized row, also from offsets', () => {
    const rand = rng(300 + type);
    const n = 256 * 5;
    const src = randomRowBytes(rand, type, n);
    const w = new Float32Array(n);
    deq(src, 0, w, 0, n);
    const x = randomF32(rand, n + 9, 2);
    const full = dot64(w, x.subarray(0, n));
    expect(Math.abs(dot(src, 0, x, 0, n) - full)).toBeLessThan(1e-9 * (1 + Math.abs(full)));
    const part = dot64(w.subarray(256, 768), x.subarray(9, 521));
    expect(Math.abs(dot(src, blockBytes, x, 9, 512) - part)).toBeLessThan(1e-9 * (1 + Math.abs(part)));
  });
});
