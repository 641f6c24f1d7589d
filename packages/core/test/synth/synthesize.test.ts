import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readGGUFHeader } from '../../src/gguf/index.js';
import { SHAPES, synthesizeModel } from '../../src/synth/index.js';

const dir = mkdtempSync(join(tmpdir(), 'legato-synth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('synthesizeModel', () => {
  it('writes the same bytes whether the weights are quantized on 1 or 2 threads', async () => {
    // Q4_K_M mixes K-quants with Q6_K/Q4_0 fallbacks, so every quantizer path goes through the pool.
    const one = join(dir, 'one.gguf');
    const two = join(dir, 'two.gguf');
    await synthesizeModel(one, { shape: SHAPES['tiny-15m'], type: 'Q4_K_M', seed: 5, threads: 1 });
    await synthesizeModel(two, { shape: SHAPES['tiny-15m'], type: 'Q4_K_M', seed: 5, threads: 2 });
    const a = readFileSync(one);
    const b = readFileSync(two);
    expect(b.length).toBe(a.length);
    expect(b.equals(a)).toBe(true);
    const types = new Set(readGGUFHeader(one).tensors.map((t) => t.type));
    expect(types.size).toBeGreaterThan(2);
  });
});
