/**
 * Coarse performance guards: generous bounds that a linear implementation meets many times over but
 * a quadratic merge loop or per-call table building would not.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { loadMetadata } from './load-vocab.js';
import { modelPath } from '../../../../testing/models.js';

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

describe('tokenizer performance', () => {
  it('builds the 128k-token, 280k-merge Llama 3 vocabulary quickly', async () => {
    const meta = await loadMetadata('vocab/ggml-vocab-llama-bpe.gguf');
    const [tok, ms] = time(() => Tokenizer.fromMetadata(meta));
    expect(tok.vocabSize).toBe(128256);
    expect(ms).toBeLessThan(1500);
  });

  it('encodes long inputs in near-linear time', async () => {
    const text = readFileSync(modelPath('vocab/ggml-vocab-llama-spm.gguf.inp'), 'utf8');
    for (const path of ['vocab/ggml-vocab-llama-bpe.gguf', 'vocab/ggml-vocab-llama-spm.gguf']) {
      const tok = Tokenizer.fromMetadata(await loadMetadata(path));
      tok.encode(text); // warm-up
      // 100k letters with no break is one pre-tokenizer word / one SPM fragment: a quadratic merge
      // loop would need ~10^10 steps.
      const [word, wordMs] = time(() => tok.encode('a'.repeat(100_000), { addSpecial: false }));
      expect(word.length).toBeGreaterThan(1000);
      expect(wordMs, path).toBeLessThan(5000);
      const [ids, textMs] = time(() => tok.encode(text.repeat(100), { addSpecial: false }));
      expect(ids.length).toBeGreaterThan(50_000);
      expect(textMs, path).toBeLessThan(5000);
    }
  });
});
