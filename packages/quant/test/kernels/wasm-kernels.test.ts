import { afterAll, describe, expect, it } from 'vitest';
import { Arena } from '../../src/arena.js';
import { WasmBackend } from '../../src/kernels/wasm-backend.js';
import { GGMLType, typeName } from '../../src/types.js';
import { FLOAT_TYPES, KERNEL_TYPES, dequantized, errorScales, makeProblem, quantizeLikeQ8, reference } from './fixtures.js';

const arena = new Arena({ initialBytes: 64 << 20 });
const backend = new WasmBackend(arena, { threads: 1 });
afterAll(() => backend.dispose());

// 37 rows: not a multiple of the 16-row split; 512 columns: two K-quant super-blocks. 6 tokens:
// one 4-token tile plus two single-token passes.
const ROWS = 37;
const COLS = 512;
const TOKENS = 6;

describe('WASM kernels', () => {
  it('cover every supported weight type', () => {
    for (const type of KERNEL_TYPES) expect(backend.hasKernel(type), typeName(type)).toBe(true);
    expect(backend.hasKernel(GGMLType.Q8_1)).toBe(false);
  });

  describe.each(KERNEL_TYPES.map((t) => [typeName(t), t] as const))('%s', (_name, type) => {
    const isFloat = FLOAT_TYPES.has(type);

    it('matches the reference within the activation-rounding bound', () => {
      const p = makeProblem(arena, type, ROWS, COLS, TOKENS, 1000 + type);
      backend.matmul(p.w, p.x, p.nTokens, p.out);
      const want = reference(p);
      const wf = dequantized(p);
      const { mag, qbound } = errorScales(p, wf, isFloat ? undefined : quantizeLikeQ8(p.x, COLS).d);
      let worst = 0;
      for (let i = 0; i < want.length; i++) {
        // f32 accumulation: a few ulps of Σ|w||x|; quantized activations: at most Σ|w|·d/2.
        const tol = 1e-5 * mag[i] + qbound[i];
        const err = Math.abs(p.out[i] - want[i]);
        worst = Math.max(worst, err / tol);
        expect(err, `output ${i}`).toBeLessThanOrEqual(tol);
      }
      expect(worst).toBeGreaterThan(0); // the comparison saw real differences, not an empty check
    });

    if (!isFloat) {
      it('equals the reference on Q8-rounded activations up to f32 summation error', () => {
        // Feeding the reference the activations already rounded the way the kernel rounds them
        // leaves only summation-order differences: this catches any single mis-decoded element.
        const p = makeProblem(arena, type, ROWS, COLS, TOKENS, 2000 + type);
        backend.matmul(p.w, p.x, p.nTokens, p.out);
        const { xq } = quantizeLikeQ8(p.x, COLS);
        const want = reference(p, xq);
        const { mag } = errorScales(p, dequantized(p), undefined);
        for (let i = 0; i < want.length; i++) {
          expect(Math.abs(p.out[i] - want[i]), `output ${i}`).toBeLessThanOrEqual(2e-6 * mag[i] + 1e-7);
        }
      });
    }

    it('computes a matmul exactly as one matvec per token', () => {
      const p = makeProblem(arena, type, ROWS, COLS, TOKENS, 3000 + type);
      backend.matmul(p.w, p.x, p.nTokens, p.out);
      const one = arena.allocF32(ROWS);
      for (let t = 0; t < TOKENS; t++) {
        backend.matmul(p.w, p.x.subarray(t * COLS, (t + 1) * COLS), 1, one);
        expect(Array.from(one)).toEqual(Array.from(p.out.subarray(t * ROWS, (t + 1) * ROWS)));
      }
    });
  });

  it('gives every token count and row count the results of per-token matvecs', () => {
    // Tokens go in panels of 4 (a last panel of 1–3 is laid out with its own width), full panels
    // two at a time (8 tokens; a last odd one alone), and rows in quads taken from the four
    // quarters of the range (a last quad of 1–3 rows repeats its last row): every combination
    // must equal the plain one-token, all-rows product, and that must agree with the reference on
    // the same rounded activations.
    const cols = 512;
    for (const type of KERNEL_TYPES.filter((t) => !FLOAT_TYPES.has(t))) {
      for (const rows of [1, 2, 3, 5, 8, 11]) {
        const p = makeProblem(arena, type, rows, cols, 13, 9000 + 13 * type + rows);
        const { xq } = quantizeLikeQ8(p.x, cols);
        const want = reference(p, xq);
        const { mag } = errorScales(p, dequantized(p), undefined);
        const one = arena.allocF32(rows);
        const perToken: number[][] = [];
        for (let t = 0; t < 13; t++) {
          backend.matmul(p.w, p.x.subarray(t * cols, (t + 1) * cols), 1, one);
          perToken.push(Array.from(one));
          for (let r = 0; r < rows; r++) {
            const i = t * rows + r;
            expect(Math.abs(one[r] - want[i]), `${typeName(type)} ${rows} rows, token ${t}, row ${r}`).toBeLessThanOrEqual(2e-6 * mag[i] + 1e-7);
          }
        }
        for (const n of [2, 3, 4, 5, 6, 7, 8, 9, 12, 13]) {
          p.out.fill(NaN);
          backend.matmul(p.w, p.x, n, p.out);
          for (let t = 0; t < n; t++) {
            expect(Array.from(p.out.subarray(t * rows, (t + 1) * rows)), `${typeName(type)} ${rows} rows, ${n} tokens, token ${t}`).toEqual(perToken[t]);
          }
        }
      }
    }
  });

  it('handles float rows that are not a multiple of the vector width', () => {
    for (const type of FLOAT_TYPES) {
      const p = makeProblem(arena, type, 5, 100, 5, 4000 + type);
      backend.matmul(p.w, p.x, p.nTokens, p.out);
      const want = reference(p);
      const { mag } = errorScales(p, dequantized(p), undefined);
      for (let i = 0; i < want.length; i++) expect(Math.abs(p.out[i] - want[i])).toBeLessThanOrEqual(1e-5 * mag[i]);
    }
  });

  it('decodes F16 infinities, NaNs and subnormals exactly', () => {
    const rows = 4, cols = 64;
    const data = arena.u8(arena.alloc(rows * cols * 2), rows * cols * 2);
    const h = new Uint16Array(rows * cols);
    for (let i = 0; i < h.length; i++) h[i] = 0x3000 + ((i * 37) % 0x0800); // ordinary values
    h[5] = 0x7c00; // +inf in row 0
    h[cols + 9] = 0x7e01; // NaN in row 1
    for (let c = 0; c < cols; c++) h[2 * cols + c] = (c * 13) % 0x0400 | (c & 1 ? 0x8000 : 0); // subnormals
    h[3 * cols] = 0x7bff; // 65504, the largest half
    h[3 * cols + 1] = 0x8000; // -0
    data.set(new Uint8Array(h.buffer));
    const x = arena.allocF32(cols);
    x.fill(0.25);
    const out = arena.allocF32(rows);
    const p = { w: { name: 'f16-specials', type: GGMLType.F16, rows, cols, data }, x, out, nTokens: 1 };
    backend.matmul(p.w, x, 1, out);
    const want = reference(p);
    expect(out[0]).toBe(Infinity);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(want[0]).toBe(Infinity);
    expect(Number.isNaN(want[1])).toBe(true);
    const { mag } = errorScales(p, dequantized(p), undefined);
    for (const r of [2, 3]) expect(Math.abs(out[r] - want[r])).toBeLessThanOrEqual(1e-6 * mag[r]);
    expect(want[2]).not.toBe(0);
  });

  it('splits a long prefill into token chunks without changing any result', () => {
    // 4096 columns of Q8_0 make a quantized row 10 KiB, so 130 tokens span several L2 chunks.
    const p = makeProblem(arena, GGMLType.Q8_0, 9, 4096, 130, 5000);
    backend.matmul(p.w, p.x, p.nTokens, p.out);
    const one = arena.allocF32(9);
    for (const t of [0, 17, 64, 127, 129]) {
      backend.matmul(p.w, p.x.subarray(t * 4096, (t + 1) * 4096), 1, one);
      expect(Array.from(one)).toEqual(Array.from(p.out.subarray(t * 9, (t + 1) * 9)));
    }
  });

  it('stages activations and outputs that live outside the arena', () => {
    const p = makeProblem(arena, GGMLType.Q4_K, ROWS, COLS, 3, 6000);
    backend.matmul(p.w, p.x, p.nTokens, p.out);
    const xPlain = Float32Array.from(p.x);
    const outPlain = new Float32Array(p.out.length);
    backend.matmul(p.w, xPlain, p.nTokens, outPlain);
    expect(Array.from(outPlain)).toEqual(Array.from(p.out));
    // A shared buffer that is not the arena must be staged too, not read as arena addresses.
    const foreign = new Float32Array(new SharedArrayBuffer(1 << 20), 4096, p.x.length);
    foreign.set(p.x);
    const outForeign = new Float32Array(new SharedArrayBuffer(1 << 20), 4096, p.out.length);
    backend.matmul(p.w, foreign, p.nTokens, outForeign);
    expect(Array.from(outForeign)).toEqual(Array.from(p.out));
  });

  it('falls back to the reference for weights outside the arena', () => {
    const p = makeProblem(arena, GGMLType.Q4_0, ROWS, COLS, 2, 7000);
    const plain = { ...p.w, data: Uint8Array.from(p.w.data) };
    const out = new Float32Array(p.out.length);
    backend.matmul(plain, p.x, p.nTokens, out);
    expect(Array.from(out)).toEqual(Array.from(reference(p)));
  });

  it('rejects outputs that are too small', () => {
    const p = makeProblem(arena, GGMLType.Q8_0, ROWS, COLS, 2, 8000);
    expect(() => backend.matmul(p.w, p.x, 2, p.out.subarray(0, ROWS))).toThrow(RangeError);
  });
});
