import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type LlamaModel } from '@legato/core';
import { llamaBenchJson, llamaBenchModelInfo, runLlamaBench } from '../src/index.js';
import { tinyModelFile, TINY_SHAPE } from './tiny-model.js';

let model: LlamaModel;
beforeAll(async () => {
  model = await loadModel(await tinyModelFile());
});
afterAll(() => model?.dispose());

describe('runLlamaBench', () => {
  it('times each repetition and reports mean ± sample std of tokens/s, as llama-bench', async () => {
    const r = await runLlamaBench(model, { nPrompt: [24], nGen: [10], pg: [[8, 4]], repetitions: 3 });
    expect(r.tests.map((t) => t.name)).toEqual(['pp24', 'tg10', 'pp8+tg4']);
    for (const t of r.tests) {
      expect(t.samplesNs).toHaveLength(3);
      // tokens/s of each repetition from its own time, then llama-bench's mean and (n − 1) std.
      const ts = t.samplesNs.map((ns) => ((t.nPrompt + t.nGen) * 1e9) / ns);
      t.samplesTs.forEach((x, i) => expect(x).toBeCloseTo(ts[i], 6));
      const mean = ts.reduce((a, b) => a + b, 0) / 3;
      const std = Math.sqrt(ts.reduce((a, x) => a + (x - mean) ** 2, 0) / 2);
      expect(t.avgTs).toBeCloseTo(mean, 6);
      expect(t.stdevTs).toBeCloseTo(std, 6);
    }
    // Timelines: a tg repetition is a request with one token per forward pass; a pp repetition
    // is a prefill ending in one token.
    const tg = r.runs.find((x) => x.name === 'tg10')!.collected;
    expect(tg.timeline).toHaveLength(3);
    for (const t of tg.timeline) expect(t.tokenTimes.length).toBe(10);
    const pp = r.runs.find((x) => x.name === 'pp24')!.collected;
    expect(pp.timeline.map((t) => t.tokenTimes.length)).toEqual([1, 1, 1]);
    expect(pp.summary.ttft.count).toBe(3);
  });

  it("describes the model in llama-bench's columns", () => {
    const info = llamaBenchModelInfo(model);
    const d = TINY_SHAPE.dim;
    const f = TINY_SHAPE.ffnDim;
    const L = TINY_SHAPE.nLayers;
    const V = TINY_SHAPE.vocabSize;
    // Embeddings, output, per layer 4 attention + 3 FFN matrices and 2 norms, the final norm.
    const params = 2 * V * d + L * (4 * d * d + 3 * d * f + 2 * d) + d;
    expect(info.params).toBe(params);
    expect(info.sizeBytes).toBe(params * 4); // all F32
    expect(info.type).toBe(`llama ${Math.round(params / 1e3)}K all F32`);
    expect(llamaBenchJson(info, [])).toEqual([]);
  });
});
