import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../../src/arena.js';
import { WasmBackend } from '../../src/kernels/wasm-backend.js';
import { GGMLType, typeName } from '../../src/types.js';
import { dequantized, errorScales, makeProblem, quantizeLikeQ8, reference } from '../kernels/fixtures.js';

const arena = new Arena({ initialBytes: 64 << 20 });
const single = new WasmBackend(arena, { threads: 1 });
let team: WasmBackend;

beforeAll(async () => {
  team = await WasmBackend.create(arena, { threads: 2 });
});
afterAll(() => {
  single.dispose();
  team.dispose();
});

describe('WasmBackend with 2 threads', () => {
  it('has its worker up after create()', () => {
    expect(team.threads).toBe(2);
    expect(team.activeThreads).toBe(2);
    expect(single.activeThreads).toBe(1);
  });

  const types = [GGMLType.Q4_0, GGMLType.Q8_0, GGMLType.F32, GGMLType.F16, GGMLType.Q4_K, GGMLType.Q6_K, GGMLType.Q5_1];
  it.each(types.map((t) => [typeName(t), t] as const))('gives bit-identical results to 1 thread for %s', (_n, type) => {
    for (const [rows, nTokens] of [[1000, 1], [301, 7]] as const) {
      const p = makeProblem(arena, type, rows, 512, nTokens, 100 * rows + type);
      single.matmul(p.w, p.x, nTokens, p.out);
      const want = Array.from(p.out);
      // Repeat until the worker computed some of the rows of a compared run (on a busy machine
      // the calling thread may claim every chunk before the worker gets a core).
      let shared = false;
      for (let i = 0; i < 500 && !shared; i++) {
        const before = team.workerChunks;
        p.out.fill(0);
        team.matmul(p.w, p.x, nTokens, p.out);
        expect(Array.from(p.out)).toEqual(want);
        shared = team.workerChunks > before;
      }
      expect(shared).toBe(true);
    }
  });

  it('keeps tiny products on the calling thread', () => {
    const p = makeProblem(arena, GGMLType.Q4_0, 64, 256, 1, 6);
    const before = team.workerChunks;
    for (let i = 0; i < 50; i++) team.matmul(p.w, p.x, 1, p.out);
    expect(team.workerChunks).toBe(before);
  });

  it('shares the work with the worker', () => {
    const p = makeProblem(arena, GGMLType.Q8_0, 4096, 1024, 4, 77);
    const before = team.workerChunks;
    // Many large jobs: even on a busy machine the worker claims some of their chunks.
    for (let i = 0; i < 200 && team.workerChunks === before; i++) team.matmul(p.w, p.x, 4, p.out);
    expect(team.workerChunks).toBeGreaterThan(before);
  });

  it('splits prefill activation quantization across threads without changing results', () => {
    const p = makeProblem(arena, GGMLType.Q4_0, 64, 1024, 40, 99);
    team.matmul(p.w, p.x, p.nTokens, p.out);
    const fromTeam = Array.from(p.out);
    single.matmul(p.w, p.x, p.nTokens, p.out);
    expect(fromTeam).toEqual(Array.from(p.out));
    // And agrees with the reference up to the activation rounding.
    const want = reference(p);
    const { mag, qbound } = errorScales(p, dequantized(p), quantizeLikeQ8(p.x, 1024).d);
    for (let i = 0; i < want.length; i++) expect(Math.abs(p.out[i] - want[i])).toBeLessThanOrEqual(qbound[i] + 1e-5 * mag[i]);
  });

  it('runs many small back-to-back jobs (the decode pattern) without losing one', () => {
    // Just above the size below which a matmul stays on the calling thread.
    const p = makeProblem(arena, GGMLType.Q4_0, 640, 512, 1, 5);
    single.matmul(p.w, p.x, 1, p.out);
    const want = Array.from(p.out);
    for (let i = 0; i < 2000; i++) {
      p.out.fill(0);
      team.matmul(p.w, p.x, 1, p.out);
      if (i % 250 === 0) expect(Array.from(p.out)).toEqual(want);
    }
    expect(Array.from(p.out)).toEqual(want);
  });
});
