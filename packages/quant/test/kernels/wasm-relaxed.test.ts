import { afterAll, describe, expect, it } from 'vitest';
import { Arena } from '../../src/arena.js';
import { kernelModule, plainKernelModule, relaxedKernelModule, relaxedSimdSupported } from '../../src/kernels/module.js';
import { WasmBackend } from '../../src/kernels/wasm-backend.js';
import { GGMLType, typeName } from '../../src/types.js';
import { FLOAT_TYPES, KERNEL_TYPES, makeProblem } from './fixtures.js';

// The relaxed-SIMD module replaces the plain one wherever it loads, so it must not change a bit of
// any output: every weight type, over token counts that exercise full 4-token panels, a narrower
// last panel and single tokens, and row counts that leave partial quads.
const relaxed = relaxedKernelModule();
const arena = new Arena({ initialBytes: 64 << 20 });
const plainBackend = new WasmBackend(arena, { threads: 1, module: plainKernelModule() });
const relaxedBackend = relaxed ? new WasmBackend(arena, { threads: 1, module: relaxed }) : undefined;
afterAll(() => {
  plainBackend.dispose();
  relaxedBackend?.dispose();
});

describe('the relaxed-SIMD kernel module', () => {
  it('is chosen exactly when the runtime supports it', () => {
    expect(relaxedSimdSupported()).toBe(relaxed !== undefined);
    expect(kernelModule()).toBe(relaxed ?? plainKernelModule());
  });

  // Node 20+ on x64/arm64 runs it (behind the V8 flag module.ts sets); a runtime without it keeps
  // the plain module and has nothing to compare.
  it.skipIf(!relaxedBackend)('gives exactly the plain module\'s outputs for every weight type', () => {
    const backend = relaxedBackend!;
    for (const type of KERNEL_TYPES.filter((t) => !FLOAT_TYPES.has(t))) {
      for (const [rows, cols, tokens] of [[37, 512, 13], [5, 256, 4], [3, 1024, 9], [16, 256, 1], [9, 512, 2], [22, 768, 7]] as const) {
        const p = makeProblem(arena, type, rows, cols, tokens, 11000 + 31 * type + rows);
        // Saturate some groups at ±127 after quantization, and make the first tokens constant
        // (every integer +127, then −127): the largest partial sums the byte dots must hold.
        for (let i = 5; i < p.x.length; i += 61) p.x[i] = i % 2 ? 1e4 : -1e4;
        p.x.fill(1, 0, cols);
        if (tokens > 1) p.x.fill(-0.5, cols, 2 * cols);
        const want = new Float32Array(p.out.length);
        plainBackend.matmul(p.w, p.x, tokens, want);
        p.out.fill(NaN);
        backend.matmul(p.w, p.x, tokens, p.out);
        const label = `${typeName(type)} ${rows}x${cols}, ${tokens} tokens`;
        for (let i = 0; i < want.length; i++) {
          if (!Object.is(p.out[i], want[i])) expect(p.out[i], `${label}, output ${i}`).toBe(want[i]);
        }
        expect(want.some((v) => v !== 0), label).toBe(true);
      }
    }
  });

  // The byte ranges holding the weight values in each block of the formats with byte-dot kernels
  // (the scales and mins outside them stay random, so the results stay finite).
  const valueBytes: ReadonlyArray<readonly [GGMLType, number, number, number]> = [
    [GGMLType.Q4_0, 18, 2, 18], [GGMLType.Q4_1, 20, 4, 20], [GGMLType.Q5_0, 22, 2, 22], [GGMLType.Q5_1, 24, 4, 24],
    [GGMLType.Q4_K, 144, 16, 144], [GGMLType.Q5_K, 176, 16, 176], [GGMLType.Q6_K, 210, 0, 192],
  ];

  it.skipIf(!relaxedBackend)('holds the largest byte dots in decode and prefill shapes', () => {
    // Every weight at its largest value (all value bits set) in every other row, against tokens
    // quantized to all +127 and all −127: the partial sums the i16 lanes of the byte dots reach.
    // Token counts 1, 2, 3 and 6 exercise the matrix-vector kernel for each lane of a last,
    // narrower panel; 4 and 6 the one-panel kernel, 8 and 12 the two-panel one.
    for (const [type, blockBytes, from, to] of valueBytes) {
      for (const tokens of [1, 2, 3, 4, 6, 8, 12]) {
        const p = makeProblem(arena, type, 10, 512, tokens, 13000 + 7 * type + tokens);
        const data = p.w.data;
        const rb = data.length / p.w.rows;
        for (let r = 0; r < p.w.rows; r += 2) {
          for (let b = r * rb; b < (r + 1) * rb; b += blockBytes) data.fill(0xff, b + from, b + to);
        }
        p.x.fill(1, 0, 512);
        if (tokens > 1) p.x.fill(-1, 512, 1024);
        const want = new Float32Array(p.out.length);
        plainBackend.matmul(p.w, p.x, tokens, want);
        p.out.fill(NaN);
        relaxedBackend!.matmul(p.w, p.x, tokens, p.out);
        const label = `${typeName(type)}, ${tokens} tokens`;
        for (let i = 0; i < want.length; i++) {
          if (!Object.is(p.out[i], want[i])) expect(p.out[i], `${label}, output ${i}`).toBe(want[i]);
        }
        expect(want.every((v) => Number.isFinite(v)) && want.some((v) => v !== 0), label).toBe(true);
      }
    }
  });

  it.skipIf(!relaxedBackend)('keeps Q4_0 prefill results over several L2 token chunks', () => {
    // 4096 columns and 200 tokens: the prefill pass is split into token chunks.
    const p = makeProblem(arena, GGMLType.Q4_0, 7, 4096, 200, 12000);
    const want = new Float32Array(p.out.length);
    plainBackend.matmul(p.w, p.x, p.nTokens, want);
    relaxedBackend!.matmul(p.w, p.x, p.nTokens, p.out);
    expect(Array.from(p.out)).toEqual(Array.from(want));
  });
});
