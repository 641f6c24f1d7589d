/**
 * The WASM attention kernel against the plain-TypeScript reference (ComputeBackend.attention) for
 * every KV cache type (f32, f16, q8_0), and its exp approximation against Math.exp.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../../src/arena.js';
import type { AttentionShape } from '../../src/backend.js';
import { WasmBackend } from '../../src/kernels/wasm-backend.js';
import { instantiateKernels } from '../../src/kernels/module.js';
import { kvGGMLType, kvRowBytes, loadKVRow, storeKVRow, type KVType } from '../../src/kv-types.js';
import { attentionRef } from '../../src/reference/backend.js';
import { rng } from '../helpers/random.js';

const arena = new Arena({ initialBytes: 64 << 20 });
let one: WasmBackend;
let two: WasmBackend;
beforeAll(async () => {
  one = await WasmBackend.create(arena, { threads: 1 });
  two = await WasmBackend.create(arena, { threads: 2 });
});
afterAll(() => {
  one.dispose();
  two.dispose();
});

interface Case {
  shape: AttentionShape;
  type: KVType;
  q: Float32Array;
  /** The cache's bytes, rows in `type`. */
  kv: Uint8Array;
  rows: Int32Array;
  lens: Int32Array;
  /** Largest |v| of the pool: the scale of an output's error (outputs are convex combinations of V rows). */
  vmax: number;
}

/**
 * Random q and a KV pool whose positions sit in shuffled slots (as a paged cache's would), K and V
 * rows in separate halves and padded apart so that reading a neighbouring row cannot go unnoticed.
 * Values are drawn in f32 and stored as `type` (rounded as the forward pass stores them).
 */
function makeCase(nHeads: number, nKVHeads: number, headDim: number, lens: number[], seed: number, type: KVType = 'f32'): Case {
  const rand = rng(seed);
  const maxLen = Math.max(...lens);
  const values = nKVHeads * headDim;
  const slot = kvRowBytes(type, values) + 16;
  const kv = arena.u8(arena.alloc(2 * maxLen * slot), 2 * maxLen * slot);
  const vBase = maxLen * slot;
  const row = new Float32Array(values);
  // Keys large enough that softmaxes are far from uniform (scores of several units).
  for (let p = 0; p < maxLen; p++) {
    for (let i = 0; i < values; i++) row[i] = (rand() * 2 - 1) * 2.5;
    storeKVRow(type, row, 0, kv, p * slot, values);
    for (let i = 0; i < values; i++) row[i] = (rand() * 2 - 1) * 3;
    storeKVRow(type, row, 0, kv, vBase + p * slot, values);
  }
  // Garbage in the padding: a kernel reading past a row would pick it up.
  for (let p = 0; p < 2 * maxLen; p++) for (let i = slot - 16; i < slot; i++) kv[p * slot + i] = 0x7b;
  let vmax = 0;
  for (let p = 0; p < maxLen; p++) {
    loadKVRow(type, kv, vBase + p * slot, row, 0, values);
    for (let i = 0; i < values; i++) vmax = Math.max(vmax, Math.abs(row[i]));
  }
  const perm = Array.from({ length: maxLen }, (_, i) => i);
  for (let i = maxLen - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const rows = arena.i32(arena.alloc(8 * maxLen), 2 * maxLen);
  for (let p = 0; p < maxLen; p++) {
    rows[2 * p] = perm[p] * slot;
    rows[2 * p + 1] = vBase + perm[(p + 1) % maxLen] * slot;
  }
  const q = arena.allocF32(lens.length * nHeads * headDim);
  for (let i = 0; i < q.length; i++) q[i] = (rand() * 2 - 1) * 2;
  const lensA = arena.i32(arena.alloc(4 * lens.length), lens.length);
  lensA.set(lens);
  return { shape: { nHeads, nKVHeads, headDim, scale: 1 / Math.sqrt(headDim) }, type, q, kv, rows, lens: lensA, vmax };
}

/** The same case with its cache decoded to f32 rows (same positions, byte offsets rescaled). */
function dequantized(c: Case): Case {
  const values = c.shape.nKVHeads * c.shape.headDim;
  const n = c.rows.length;
  const kv = arena.u8(arena.alloc(4 * values * n), 4 * values * n);
  const f32 = new Float32Array(kv.buffer, kv.byteOffset, values * n);
  const rows = arena.i32(arena.alloc(4 * n), n);
  for (let i = 0; i < n; i++) {
    loadKVRow(c.type, c.kv, c.rows[i], f32, i * values, values);
    rows[i] = 4 * i * values;
  }
  return { ...c, type: 'f32', kv, rows };
}

function reference(c: Case, t0: number, t1: number): Float32Array {
  const out = new Float32Array(c.q.length);
  attentionRef(c.shape, c.q, c.kv, c.type, c.rows, c.lens, t0, t1, out, new Float32Array(c.shape.nHeads * Math.max(...c.lens)));
  return out;
}

function run(backend: WasmBackend, c: Case, t0: number, t1: number): Float32Array {
  const out = arena.allocF32(c.q.length);
  out.fill(12345); // rows outside [t0, t1) must keep it
  backend.attention(c.shape, c.q, c.kv, c.type, c.rows, c.lens, t0, t1, out);
  const copy = out.slice();
  arena.free(out.byteOffset);
  return copy;
}

/**
 * Both compute in f32 but in different orders (blocks of four, online rescaling, a polynomial exp):
 * each output may differ by a few f32 rounding errors of the V values it averages.
 */
const TOLERANCE = 2e-6; // measured worst: 5.2e-7 (32 heads, head size 64)

const SHAPES: [number, number, number][] = [
  [1, 1, 4], // the smallest head
  [4, 4, 16], // multi-head, no grouping
  [8, 2, 32], // GQA, 4 query heads per KV head
  [32, 4, 64], // TinyLlama-1.1B
  [6, 3, 20], // head size not a multiple of 16
];

/** q8_0 heads are whole blocks of 32. */
const Q8_SHAPES: [number, number, number][] = [
  [4, 4, 32],
  [8, 2, 32],
  [32, 4, 64], // TinyLlama-1.1B
  [6, 3, 96],
];

const CASES: [KVType, number, number, number][] = [
  ...SHAPES.map(([h, k, d]): [KVType, number, number, number] => ['f32', h, k, d]),
  ...SHAPES.map(([h, k, d]): [KVType, number, number, number] => ['f16', h, k, d]),
  ...Q8_SHAPES.map(([h, k, d]): [KVType, number, number, number] => ['q8_0', h, k, d]),
];

describe('attention kernel', () => {
  describe.each(CASES)('%s cache, %i heads, %i KV heads, head size %i', (type, nHeads, nKVHeads, headDim) => {
    it('matches the reference for lengths 1..300, on 1 and 2 threads identically', () => {
      // A prefill run (lengths 1..37, covering every tail of the four-position blocks), a chunked
      // prefill continuing at 260, and decodes at lengths that are not multiples of 4.
      const lens = [...Array.from({ length: 37 }, (_, i) => i + 1), ...Array.from({ length: 41 }, (_, i) => 260 + i), 5, 127, 298];
      const c = makeCase(nHeads, nKVHeads, headDim, lens, 7 * nHeads + headDim, type);
      const dim = nHeads * headDim;
      const runs: [number, number][] = [[0, 37], [37, 78], [78, 79], [79, 80], [80, 81]];
      let worst = 0;
      for (const [t0, t1] of runs) {
        const want = reference(c, t0, t1);
        const a = run(one, c, t0, t1);
        const b = run(two, c, t0, t1);
        let differ = -1;
        for (let i = 0; i < a.length && differ < 0; i++) if (!Object.is(a[i], b[i])) differ = i;
        expect(differ, 'first output that changed with the thread count').toBe(-1);
        let outside = -1;
        let bad = -1;
        for (let i = 0; i < a.length; i++) {
          const t = Math.floor(i / dim);
          if (t < t0 || t >= t1) {
            if (a[i] !== 12345 && outside < 0) outside = i;
            continue;
          }
          const err = Math.abs(a[i] - want[i]);
          worst = Math.max(worst, err / c.vmax);
          if (!(err <= TOLERANCE * c.vmax) && bad < 0) bad = i;
        }
        expect(outside, 'first output written outside the run').toBe(-1);
        expect(bad < 0 ? '' : `token ${Math.floor(bad / dim)}, element ${bad % dim}: ${a[bad]} vs ${want[bad]}`).toBe('');
      }
      expect(worst).toBeGreaterThan(0); // real differences were compared, not identical copies
    });

    it('computes bit for bit what the f32 kernel computes over the dequantized rows', () => {
      // Widening f16 and int8 × f16-scale to f32 is exact, so the type changes only what is stored.
      const lens = [1, 2, 3, 4, 5, 64, 131, 300];
      const c = makeCase(nHeads, nKVHeads, headDim, lens, 3 * nHeads + headDim, type);
      const f = dequantized(c);
      for (const backend of [one, two]) {
        const a = run(backend, c, 0, lens.length);
        const b = run(backend, f, 0, lens.length);
        let differ = -1;
        for (let i = 0; i < a.length && differ < 0; i++) if (!Object.is(a[i], b[i])) differ = i;
        expect(differ, 'first output that differs from the f32 kernel on the decoded rows').toBe(-1);
      }
    });
  });

  it('rounds the stored rows as ggml does: f16 within half an ulp, q8_0 within half a step of its block', () => {
    const rand = rng(41);
    const n = 256;
    const src = new Float32Array(n);
    for (let i = 0; i < n; i++) src[i] = (rand() * 2 - 1) * 4;
    const back = new Float32Array(n);
    for (const type of ['f16', 'q8_0'] as const) {
      const bytes = new Uint8Array(kvRowBytes(type, n));
      storeKVRow(type, src, 0, bytes, 0, n);
      loadKVRow(type, bytes, 0, back, 0, n);
      for (let i = 0; i < n; i++) {
        const blockMax = Math.max(...Array.from(src.subarray(i & ~31, (i & ~31) + 32), Math.abs));
        // q8_0: q = round(x / d) with d = max / 127 in f32, then d is stored as f16 (|q| ≤ 127 steps
        // of its 2^-11 relative rounding add up to 0.062 d).
        const bound = type === 'f16' ? 2 ** (Math.floor(Math.log2(Math.abs(src[i]))) - 11) : (blockMax / 127) * 0.563;
        expect(Math.abs(back[i] - src[i]), `${type} element ${i}`).toBeLessThanOrEqual(bound);
      }
    }
    expect(kvRowBytes('q8_0', n)).toBe((n / 32) * 34);
    expect(kvGGMLType('q8_0')).toBe(8);
  });

  it('rejects a q8_0 cache whose heads are not whole blocks', () => {
    const c = makeCase(4, 2, 16, [3], 5, 'f16');
    expect(() => run(one, { ...c, type: 'q8_0' }, 0, 1)).toThrow(/multiple of 32/);
  });

  it('splits a large job across the team (the worker claims chunks)', () => {
    const c = makeCase(32, 4, 64, Array.from({ length: 64 }, (_, i) => 200 + i), 17);
    expect(two.activeThreads).toBe(2);
    const before = two.workerChunks;
    // The calling thread may finish a job before the worker wakes: a few attempts.
    for (let i = 0; i < 50 && two.workerChunks === before; i++) run(two, c, 0, 64);
    expect(two.workerChunks).toBeGreaterThan(before);
  });

  it('gives the same bits whether heads of a group run paired or alone (any chunk split)', () => {
    const c = makeCase(8, 2, 32, [70, 71], 23);
    const k = instantiateKernels(arena.memory);
    const items = 2 * 8;
    const whole = arena.allocF32(c.q.length);
    const split = arena.allocF32(c.q.length);
    const call = (out: Float32Array, i0: number, i1: number): void =>
      k.attention(c.q.byteOffset, c.kv.byteOffset, c.rows.byteOffset, c.lens.byteOffset, 8, 2, 32, c.shape.scale, out.byteOffset, i0, i1, 0);
    call(whole, 0, items);
    // Odd boundaries: every head that ran paired above now runs alone once.
    call(split, 0, 1);
    for (let i = 1; i < items; i += 2) call(split, i, Math.min(items, i + 2));
    expect(Array.from(split)).toEqual(Array.from(whole));
    arena.free(whole.byteOffset);
    arena.free(split.byteOffset);
  });

  it('a single position returns its V row exactly', () => {
    const c = makeCase(8, 2, 16, [1], 99);
    const out = run(one, c, 0, 1);
    const kv = new Float32Array(c.kv.buffer, c.kv.byteOffset, c.kv.length >> 2);
    for (let h = 0; h < 8; h++) {
      const v = (c.rows[1] >> 2) + (h >> 2) * 16;
      for (let d = 0; d < 16; d++) expect(out[h * 16 + d]).toBe(kv[v + d]);
    }
  });

  it('views outside the arena take the reference path', () => {
    const c = makeCase(4, 2, 8, [3, 9], 5);
    const out = new Float32Array(c.q.length);
    one.attention(c.shape, c.q.slice(), c.kv.slice(), c.type, c.rows.slice(), c.lens.slice(), 0, 2, out);
    expect(Array.from(out)).toEqual(Array.from(reference(c, 0, 2)));
  });
});

describe('expf', () => {
  const k = instantiateKernels(arena.memory) as unknown as { expArray(src: number, dst: number, n: number): void };
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const bits = (x: number): number => ((f32[0] = x), u32[0]);

  function expOf(xs: Float32Array): Float32Array {
    const src = arena.allocF32(xs.length);
    const dst = arena.allocF32(xs.length);
    src.set(xs);
    k.expArray(src.byteOffset, dst.byteOffset, xs.length);
    const out = dst.slice();
    arena.free(src.byteOffset);
    arena.free(dst.byteOffset);
    return out;
  }

  it('is within 1 ulp of e^x for every normal result, and within one subnormal step (2^-149) below the normal range', () => {
    // A dense sweep of [-104, 89] (≈ 2M points) plus random floats, through both the four-lane
    // path (the first n − n mod 4 values) and the scalar tail.
    const rand = rng(3);
    const n = 1 << 21;
    const xs = new Float32Array(n + 3);
    for (let i = 0; i < n; i++) xs[i] = -104 + (193 * i) / n + (rand() - 0.5) * 1e-4;
    xs[n] = -0.5; xs[n + 1] = 3.25; xs[n + 2] = -80.5;
    const ys = expOf(xs);
    let worstUlp = 0;
    let worstAt = 0;
    let underflowBad = -1;
    let overflowBad = -1;
    for (let i = 0; i < xs.length; i++) {
      const exact = Math.exp(xs[i]);
      if (exact < 2 ** -126) {
        if (!(Math.abs(ys[i] - exact) <= 2 ** -149) && underflowBad < 0) underflowBad = i;
      } else if (exact > 3.4028234663852886e38) {
        if (ys[i] !== Infinity && overflowBad < 0) overflowBad = i;
      } else {
        const ulp = 2 ** (Math.floor(Math.log2(Math.fround(exact))) - 23);
        const e = Math.abs(ys[i] - exact) / ulp;
        if (!(e <= worstUlp)) { worstUlp = e; worstAt = xs[i]; }
      }
    }
    expect(underflowBad, 'first subnormal-range input off by more than 2^-149').toBe(-1);
    expect(overflowBad, 'first overflowing input not giving Infinity').toBe(-1);
    expect(worstUlp, `worst at exp(${worstAt})`).toBeLessThanOrEqual(1);
    expect(worstUlp).toBeGreaterThan(0.5); // not correctly rounded everywhere: the check is live
  });

  it('scalar and four-lane paths agree bit for bit', () => {
    const rand = rng(11);
    const xs = new Float32Array(4001);
    for (let i = 0; i < xs.length; i++) xs[i] = (rand() - 0.8) * 120;
    const lanes = expOf(xs);
    for (let i = 0; i < xs.length; i += 997) {
      // A one-element call always takes the scalar path.
      expect(bits(expOf(xs.subarray(i, i + 1))[0]), `exp(${xs[i]})`).toBe(bits(lanes[i]));
    }
  });

  it('handles the special values softmax relies on', () => {
    const ys = expOf(Float32Array.of(0, -Infinity, Infinity, NaN, -200, 200, 0, 0));
    expect(ys[0]).toBe(1);
    expect(ys[1]).toBe(0);
    expect(ys[2]).toBe(Infinity);
    expect(ys[3]).toBeNaN();
    expect(ys[4]).toBe(0);
    expect(ys[5]).toBe(Infinity);
    const scalar = expOf(Float32Array.of(-Infinity, NaN, 0));
    expect(scalar[0]).toBe(0);
    expect(scalar[1]).toBeNaN();
    expect(scalar[2]).toBe(1);
  });
});
