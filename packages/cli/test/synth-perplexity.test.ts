import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import { loadModel, Tokenizer } from '@legato/core';
import { readGGUFHeader } from '@legato/core/gguf';
import { modelPath } from '../../../testing/models.js';
import { llamaCppNextTokenProbs } from '../../../testing/llamacpp.js';
import { legato } from './run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'legato-synth-'));
const SHAPE = JSON.stringify({ name: 'mini', dim: 64, nLayers: 2, nHeads: 4, nKVHeads: 2, ffnDim: 128, vocabSize: 1000, contextLength: 256 });

describe('legato synth', () => {
  for (const type of ['F32', 'F16', 'Q8_0', 'Q4_0']) {
    it(`${type}: writes a model that Legato and llama.cpp both load, tokenize and run alike`, async () => {
      const out = join(tmp, `mini-${type}.gguf`);
      const r = legato(['synth', '--shape', SHAPE, '--type', type, '-o', out, '--seed', '3']);
      expect(r.code, r.stderr).toBe(0);
      const h = readGGUFHeader(out);
      expect(h.metadata['llama.embedding_length']).toBe(64);
      expect(h.tensors.find((t) => t.name === 'blk.1.ffn_down.weight')!.shape).toEqual([128, 64]);

      const text = 'Once upon a time, the cat sat.';
      const ours = Tokenizer.fromMetadata(h.metadata).encode(text);
      const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
      const lm = await llama.loadModel({ modelPath: out });
      // node-llama-cpp's tokenize() never adds BOS; the model's BOS must be ours.
      const theirs = [Number(lm.tokens.bos), ...lm.tokenize(text).map(Number)];
      await lm.dispose();
      expect(ours[0]).toBe(1);
      expect(ours).toEqual(theirs);

      const m = await loadModel(out);
      const ctx = m.createContext({ contextSize: 64 });
      const probs: Float32Array[] = [];
      await ctx.evaluate(ours, { onLogits: (_p, l) => probs.push(l.slice()) });
      m.dispose();
      const ref = await llamaCppNextTokenProbs(out, ours);
      expect(ref).toHaveLength(ours.length);
      // Same argmax on every position for float weights; quantized ones may differ on near-ties.
      let agree = 0;
      for (let i = 0; i < ours.length; i++) {
        const a = probs[i].reduce((b, v, j, arr) => (v > arr[b] ? j : b), 0);
        const b = ref[i].reduce((bb, v, j, arr) => (v > arr[bb] ? j : bb), 0);
        if (a === b) agree++;
      }
      expect(agree / ours.length).toBeGreaterThanOrEqual(type.startsWith('F') ? 1 : 0.6);
    });
  }

  it('rejects a bad shape or type with one line', () => {
    const a = legato(['synth', '--shape', 'huge-9t', '--type', 'Q4_0', '-o', join(tmp, 'x.gguf')]);
    expect(a.code).toBe(2); // usage errors
    expect(a.stderr.trim()).toMatch(/^legato synth: unknown shape "huge-9t"/);
    const b = legato(['synth', '--shape', 'tiny-15m', '--type', 'Q9_9', '-o', join(tmp, 'x.gguf')]);
    expect(b.code).toBe(2);
    expect(b.stderr.trim()).toMatch(/--type must be one of/);
  });
});

describe('legato perplexity', () => {
  it('equals llama-perplexity\'s chunked computation done on llama.cpp\'s own probabilities', async () => {
    const refs = JSON.parse(readFileSync(modelPath('reference-greedy.json'), 'utf8'));
    const text = Array.from({ length: 4 }, () => refs['stories260K.gguf'].bos_only_numpy_greedy_text).join(' Once upon a time');
    const file = join(tmp, 'story.txt');
    writeFileSync(file, text);
    const nCtx = 64;
    const r = legato(['perplexity', modelPath('stories260K.gguf'), '-f', file, '--ctx', String(nCtx), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const ours = JSON.parse(r.stdout);
    expect(ours.ctx).toBe(nCtx);

    // Independent re-statement of llama-perplexity over llama.cpp's probabilities.
    const tokens = Tokenizer.fromMetadata(readGGUFHeader(modelPath('stories260K.gguf')).metadata).encode(text);
    const nChunks = Math.floor(tokens.length / nCtx);
    expect(ours.chunks).toBe(nChunks);
    let nll = 0, count = 0;
    for (let c = 0; c < nChunks; c++) {
      const chunk = tokens.slice(c * nCtx, (c + 1) * nCtx);
      chunk[0] = 1;
      const p = await llamaCppNextTokenProbs(modelPath('stories260K.gguf'), chunk);
      for (let j = nCtx / 2; j < nCtx - 1; j++) {
        nll -= Math.log(p[j][chunk[j + 1]]);
        count++;
      }
    }
    const expected = Math.exp(nll / count);
    expect(Math.abs(ours.ppl - expected) / expected).toBeLessThan(0.005);
    // A story model on its own greedy story: low perplexity, far below the uniform 512.
    expect(ours.ppl).toBeLessThan(10);
  });

  it('refuses a text too short for two contexts', () => {
    const file = join(tmp, 'short.txt');
    writeFileSync(file, 'Once upon a time');
    const r = legato(['perplexity', modelPath('stories260K.gguf'), '-f', file, '--ctx', '64']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/needs at least 128/);
  });
});
