/**
 * Every supported architecture agrees with llama.cpp (node-llama-cpp 3.21.1, F32 KV cache) on
 * its tiny synthesized model: teacher-forced next-token distributions over 80 positions, and 32
 * greedy tokens. The tiny models (synth/arch-shapes.ts) switch on every feature that sets their
 * architecture apart and make it matter (features.test.ts shows each one does).
 *
 * Bounds: F32 — top-1 equal except near-ties (llama.cpp's top two within 0.02), per-position
 * KL(llama.cpp ‖ Legato) < 1e-3 nats, max |Δp| < 0.03; F16 — the same with KL < 2e-3, |Δp| < 0.05;
 * Q8_0 / Q4_0 — llama.cpp quantizes activations to 8 bits inside quantized matmuls and these
 * stress models amplify that rounding, so top-1 on ≥ 90 % of positions, mean KL < 0.02, max
 * KL < 0.3. Distributions are peaked: mean entropy between 0.3 and 2.5 nats (uniform would be
 * ln 512 = 6.2, ln 32064 = 10.4 for phi3's real vocabulary).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readGGUFHeader } from '../../src/gguf/header.js';
import { llamaCppGreedyF32KV, llamaCppProbsF32KV } from '../../../../testing/llamacpp-exact.js';
import { compare, ourGreedy, ourProbs, testIds, tinyModel, type Agreement } from './harness.js';

const SHAPES = ['tiny-llama3', 'tiny-qwen2', 'tiny-qwen3', 'tiny-gemma2', 'tiny-gemma3', 'tiny-phi3'];
const TYPES = ['F32', 'F16', 'Q8_0', 'Q4_0'] as const;
const POSITIONS = 80;
const rows: string[] = [];

function vocabOf(path: string): number {
  return (readGGUFHeader(path).metadata['tokenizer.ggml.tokens'] as unknown[]).length;
}

function record(shape: string, type: string, a: Agreement): void {
  rows.push(`| ${shape} | ${type} | ${a.positions} | ${a.top1}/${a.positions} (+${a.nearTies} near-ties) | ${a.maxKL.toExponential(1)} | ${a.meanKL.toExponential(1)} | ${a.maxAbsDp.toFixed(4)} | ${a.meanEntropy.toFixed(2)} |`);
}

afterAll(() => {
  console.log(['| model | type | positions | top-1 equal | max KL | mean KL | max abs dp | entropy (nats) |', '|---|---|---|---|---|---|---|---|', ...rows].join('\n'));
});

describe.each(SHAPES)('%s agrees with llama.cpp', (shape) => {
  it.each(TYPES)('%s: teacher-forced distributions over 80 positions', async (type) => {
    const path = await tinyModel(shape, type);
    const ids = [1, ...testIds(POSITIONS - 1, vocabOf(path))];
    const a = compare(await ourProbs(path, ids), await llamaCppProbsF32KV(path, ids));
    record(shape, type, a);
    expect(a.positions).toBe(POSITIONS);
    expect(a.meanEntropy).toBeGreaterThan(0.3);
    expect(a.meanEntropy).toBeLessThan(2.5);
    if (type === 'F32' || type === 'F16') {
      expect(a.top1 + a.nearTies).toBe(POSITIONS);
      expect(a.maxKL).toBeLessThan(type === 'F32' ? 1e-3 : 2e-3);
      expect(a.maxAbsDp).toBeLessThan(type === 'F32' ? 0.03 : 0.05);
    } else {
      expect(a.top1 + a.nearTies).toBeGreaterThanOrEqual(0.9 * POSITIONS);
      expect(a.meanKL).toBeLessThan(0.02);
      expect(a.maxKL).toBeLessThan(0.3);
    }
  });

  it('F32: 32 greedy tokens equal llama.cpp\'s (decoding one token at a time past the sliding window)', async () => {
    const path = await tinyModel(shape, 'F32');
    const prompt = [1, ...testIds(8, vocabOf(path), 5)];
    const theirs = await llamaCppGreedyF32KV(path, prompt, 32);
    const ours = await ourGreedy(path, prompt, 32);
    expect(theirs).toHaveLength(32); // no end-of-generation token on the way
    expect(ours).toEqual(theirs);
  });
});
