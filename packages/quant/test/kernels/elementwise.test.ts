/** The WASM SwiGLU (ComputeBackend.swiglu) against the plain-TypeScript reference. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../../src/arena.js';
import { WasmBackend } from '../../src/kernels/wasm-backend.js';
import { swigluRef } from '../../src/reference/backend.js';
import { rng } from '../helpers/random.js';

const arena = new Arena({ initialBytes: 16 << 20 });
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

/** Gate values over silu's whole range (tiny, ordinary, saturating, overflowing exp) and signed zeros. */
function inputs(n: number, seed: number): { gate: Float32Array; up: Float32Array } {
  const rand = rng(seed);
  const gate = arena.allocF32(n);
  const up = arena.allocF32(n);
  const special = [0, -0, 1e-30, -1e-30, 88, -88, 89.5, -89.5, 104, -104, 200, -200, 3.4e38, -3.4e38];
  for (let i = 0; i < n; i++) {
    gate[i] = i < special.length ? special[i] : (rand() * 2 - 1) * (rand() < 0.1 ? 60 : 6);
    up[i] = (rand() * 2 - 1) * 3;
  }
  return { gate, up };
}

describe('WASM swiglu', () => {
  it('matches the reference within 3 ulp-sized steps (1e-35 near underflow), for lengths that are not a multiple of 4', () => {
    for (const n of [1, 3, 14, 5632, 5633, 40_001]) {
      const { gate, up } = inputs(n, 100 + n);
      const want = gate.slice();
      swigluRef(want, up, n);
      one.swiglu(gate, up, n);
      for (let i = 0; i < n; i++) {
        // Relative to the value, plus 1e-35 absolute: for gate < −88.7 e^−gate overflows f32, so the
        // kernel returns ±0 where the double-precision reference still has |silu · up| < 1e-35.
        const tol = 3 * 2 ** -23 * Math.abs(want[i]) + 1e-35;
        if (gate[i] === want[i]) continue; // includes equal infinities (silu(3.4e38) · 3 overflows in both)
        expect(Math.abs(gate[i] - want[i]), `n ${n}, element ${i}: silu(${want[i]})`).toBeLessThanOrEqual(tol);
      }
      arena.free(gate.byteOffset);
      arena.free(up.byteOffset);
    }
  });

  it('gives the same bits on 1 and 2 threads (the 2-thread run splits the work)', () => {
    const n = 3 * (1 << 15) + 7;
    const a = inputs(n, 7);
    const input = a.gate.slice();
    const b = arena.allocF32(n);
    one.swiglu(a.gate, a.up, n);
    const before = two.workerChunks;
    // The calling thread may finish a job before the worker wakes: a few attempts.
    for (let i = 0; i < 50 && (i === 0 || two.workerChunks === before); i++) {
      b.set(input);
      two.swiglu(b, a.up, n);
    }
    expect(two.workerChunks).toBeGreaterThan(before);
    expect(Buffer.from(b.buffer, b.byteOffset, 4 * n).equals(Buffer.from(a.gate.buffer, a.gate.byteOffset, 4 * n))).toBe(true);
  });

  it('takes the reference path for views outside the arena', () => {
    const gate = Float32Array.of(1, -2, 3);
    const up = Float32Array.of(2, 2, 2);
    const want = gate.slice();
    swigluRef(want, up, 3);
    one.swiglu(gate, up, 3);
    expect(Array.from(gate)).toEqual(Array.from(want));
  });
});
