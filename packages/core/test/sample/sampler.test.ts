import { describe, expect, it } from 'vitest';
import { Sampler, greedy } from '../../src/sample/sampler.js';
import { SamplingOptionsError, type SamplingOptions } from '../../src/sample/options.js';
import { chiSquare, rankAll, randomLogits, softmax, testRandom } from './helpers.js';

const PLAIN: SamplingOptions = { topK: 0, topP: 1, minP: 0 };

function draws(s: Sampler, logits: Float32Array, n: number): number[] {
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[s.sample(logits)]++;
  return counts;
}

describe('greedy', () => {
  it('picks the argmax, the lowest id on ties, ignoring NaN', () => {
    const rand = testRandom(21);
    for (let t = 0; t < 20; t++) {
      const logits = randomLogits(1000, rand);
      expect(greedy(logits)).toBe(rankAll(Int32Array.from(logits.keys()), logits)[0].id);
    }
    expect(greedy(Float32Array.from([1, 5, 5, 2]))).toBe(1);
    expect(greedy(Float32Array.from([NaN, -1, NaN]))).toBe(1);
    expect(() => greedy(Float32Array.from([-Infinity, NaN]))).toThrow(RangeError);
  });
});

describe('Sampler', () => {
  it('temperature <= 0 is greedy, whatever the truncation settings', () => {
    const rand = testRandom(22);
    for (const temperature of [0, -1]) {
      const s = new Sampler(500, { temperature, seed: 1 });
      for (let t = 0; t < 20; t++) {
        const logits = randomLogits(500, rand);
        expect(s.sample(logits)).toBe(greedy(logits));
      }
    }
    // A very small positive temperature converges to the same pick.
    const cold = new Sampler(500, { ...PLAIN, temperature: 1e-4, seed: 3 });
    for (let t = 0; t < 20; t++) {
      const logits = randomLogits(500, rand);
      expect(cold.sample(logits)).toBe(greedy(logits));
    }
  });

  it('never modifies the caller’s logits', () => {
    const logits = randomLogits(100, testRandom(23));
    const before = Float32Array.from(logits);
    const s = new Sampler(100, { repeatPenalty: 1.5, logitBias: { 3: -Infinity, 4: 2 }, seed: 1 });
    s.accept(greedy(logits));
    s.sample(logits);
    expect(logits).toEqual(before);
  });

  it('same seed → same sequence; different seeds differ; reset replays', () => {
    const rand = testRandom(24);
    const steps = Array.from({ length: 200 }, () => randomLogits(300, rand, 1));
    const run = (s: Sampler) => steps.map((l) => s.sample(l));
    const a = run(new Sampler(300, { temperature: 1.2, seed: 1234 }));
    const b = run(new Sampler(300, { temperature: 1.2, seed: 1234 }));
    const c = run(new Sampler(300, { temperature: 1.2, seed: 1235 }));
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    const s = new Sampler(300, { temperature: 1.2, seed: 1234 });
    run(s);
    s.reset();
    expect(run(s)).toEqual(a);
    const unseeded = new Sampler(300, { temperature: 1.2 });
    expect(run(new Sampler(300, { temperature: 1.2, seed: unseeded.seed }))).toEqual(run(unseeded));
  });

  it('draws follow softmax(logits / T) (chi-square)', () => {
    const logits = Float32Array.from([1.0, 0.2, -0.5, 2.0, 0.0, -1.5, 1.4, 0.7]);
    for (const temperature of [0.7, 1, 1.8]) {
      const s = new Sampler(8, { ...PLAIN, temperature, seed: 99 });
      const observed = draws(s, logits, 40_000);
      const chi = chiSquare(observed, softmax(Array.from(logits), temperature));
      expect(chi).toBeLessThan(24.32); // 7 degrees of freedom, p = 0.001
    }
  });

  it('detects a wrong distribution (the chi-square check has power)', () => {
    const logits = Float32Array.from([1.0, 0.2, -0.5, 2.0, 0.0, -1.5, 1.4, 0.7]);
    const observed = draws(new Sampler(8, { ...PLAIN, temperature: 1, seed: 99 }), logits, 40_000);
    expect(chiSquare(observed, softmax(Array.from(logits), 1.1))).toBeGreaterThan(24.32);
  });

  it('with top-k the draws follow the softmax renormalised over the k best', () => {
    const logits = Float32Array.from([1.0, 0.2, -0.5, 2.0, 0.0, -1.5, 1.4, 0.7]);
    const s = new Sampler(8, { ...PLAIN, topK: 4, temperature: 1.3, seed: 5 });
    const observed = draws(s, logits, 40_000);
    const keep = [3, 6, 0, 7];
    for (let i = 0; i < 8; i++) if (!keep.includes(i)) expect(observed[i]).toBe(0);
    const chi = chiSquare(
      keep.map((i) => observed[i]),
      softmax(
        keep.map((i) => logits[i]),
        1.3,
      ),
    );
    expect(chi).toBeLessThan(16.27); // 3 degrees of freedom, p = 0.001
  });

  it('applies top-p and min-p before temperature, as llama.cpp does', () => {
    // At T = 1: p = [0.6, 0.3, 0.06, 0.04]. top-p 0.85 keeps {0, 1}; applied after a hot
    // temperature it would keep more.
    const logits = Float32Array.from([0.6, 0.3, 0.06, 0.04].map(Math.log));
    const topP = draws(new Sampler(4, { ...PLAIN, topP: 0.85, temperature: 5, seed: 7 }), logits, 4000);
    expect(topP[0]).toBeGreaterThan(0);
    expect(topP[1]).toBeGreaterThan(0);
    expect(topP[2] + topP[3]).toBe(0);
    // min-p 0.08: threshold 0.048 → keeps {0, 1, 2}.
    const minP = draws(new Sampler(4, { ...PLAIN, minP: 0.08, temperature: 5, seed: 8 }), logits, 4000);
    expect(minP[2]).toBeGreaterThan(0);
    expect(minP[3]).toBe(0);
  });

  it('the default chain samples only from the top-40 ∩ top-0.95 ∩ min-0.05 set', () => {
    const rand = testRandom(25);
    const logits = randomLogits(32000, rand, 2);
    const ranked = rankAll(Int32Array.from(logits.keys()), logits).slice(0, 40);
    const probs = softmax(ranked.map((r) => r.logit));
    let cum = 0;
    let n = 0;
    while (n < probs.length && cum < 0.95) cum += probs[n++];
    const kept = ranked.slice(0, n).filter((r) => Math.exp(r.logit - ranked[0].logit) >= 0.05);
    const allowed = new Set(kept.map((r) => r.id));
    const s = new Sampler(32000, { seed: 11 });
    const seen = new Set<number>();
    for (let i = 0; i < 3000; i++) seen.add(s.sample(logits));
    expect([...seen].every((id) => allowed.has(id))).toBe(true);
    expect(seen.size).toBeGreaterThan(allowed.size / 2);
  });

  it('repeat penalty divides positive and multiplies negative logits of seen tokens', () => {
    const pos = new Sampler(2, { temperature: 0, repeatPenalty: 1.1 });
    const positive = Float32Array.from([2.0, 1.9]);
    expect(pos.sample(positive)).toBe(0);
    pos.accept(0);
    expect(pos.sample(positive)).toBe(1); // 2.0 / 1.1 = 1.82 < 1.9
    const neg = new Sampler(2, { temperature: 0, repeatPenalty: 1.1 });
    const negative = Float32Array.from([-1.0, -1.05]);
    neg.accept(0);
    expect(neg.sample(negative)).toBe(1); // -1.0 * 1.1 = -1.1 < -1.05 (dividing would raise it)
  });

  it('frequency and presence penalties subtract count * f and p once', () => {
    const logits = Float32Array.from([3.0, 2.0, 0.5]);
    const s = new Sampler(3, { temperature: 0, frequencyPenalty: 0.4, presencePenalty: 0.1 });
    s.accept(0);
    expect(s.sample(logits)).toBe(0); // 3.0 - 0.5 = 2.5 > 2.0
    s.accept(0);
    expect(s.sample(logits)).toBe(0); // 3.0 - 0.9 = 2.1 > 2.0
    s.accept(0);
    expect(s.sample(logits)).toBe(1); // 3.0 - 1.3 = 1.7 < 2.0
    s.reset();
    expect(s.sample(logits)).toBe(0);
  });

  it('penalties only look at the last penaltyLastN tokens', () => {
    const logits = Float32Array.from([2.0, 1.9, 0]);
    const s = new Sampler(3, { temperature: 0, repeatPenalty: 1.5, penaltyLastN: 2 });
    s.accept(0);
    expect(s.sample(logits)).toBe(1);
    s.accept(2);
    expect(s.sample(logits)).toBe(1);
    s.accept(2); // token 0 leaves the window
    expect(s.sample(logits)).toBe(0);
    const off = new Sampler(3, { temperature: 0, repeatPenalty: 1.5, penaltyLastN: 0 });
    off.accept(0);
    expect(off.sample(logits)).toBe(0);
  });

  it('logit bias shifts logits; -Infinity bans a token', () => {
    const logits = Float32Array.from([0.5, 0.4, 0.3, 0.2]);
    expect(new Sampler(4, { temperature: 0, logitBias: { 2: 0.5 } }).sample(logits)).toBe(2);
    expect(new Sampler(4, { temperature: 0, logitBias: new Map([[0, -Infinity]]) }).sample(logits)).toBe(1);
    const s = new Sampler(4, { ...PLAIN, temperature: 2, seed: 4, logitBias: { 0: -Infinity, 3: -Infinity } });
    const counts = draws(s, logits, 5000);
    expect(counts[0] + counts[3]).toBe(0);
    expect(counts[1] > 0 && counts[2] > 0).toBe(true);
    const banned = new Sampler(2, { logitBias: { 0: -Infinity, 1: -Infinity } });
    expect(() => banned.sample(Float32Array.from([1, 2]))).toThrow(/no token/);
  });

  it('rejects logits of the wrong length and out-of-range accepted ids', () => {
    const s = new Sampler(4, { seed: 1 });
    expect(() => s.sample(new Float32Array(5))).toThrow(RangeError);
    expect(() => s.accept(4)).toThrow(RangeError);
    expect(() => s.accept(-1)).toThrow(RangeError);
    expect(() => s.accept(1.5)).toThrow(RangeError);
  });
});

describe('options validation', () => {
  const bad: [SamplingOptions | { vocab: number }, RegExp][] = [
    [{ temperature: NaN }, /temperature/],
    [{ temperature: Infinity }, /temperature/],
    [{ topK: 2.5 }, /topK/],
    [{ topP: 0 }, /topP/],
    [{ topP: 1.01 }, /topP/],
    [{ topP: NaN }, /topP/],
    [{ minP: -0.1 }, /minP/],
    [{ minP: 1.5 }, /minP/],
    [{ repeatPenalty: 0 }, /repeatPenalty/],
    [{ repeatPenalty: -1 }, /repeatPenalty/],
    [{ frequencyPenalty: NaN }, /frequencyPenalty/],
    [{ presencePenalty: Infinity }, /presencePenalty/],
    [{ penaltyLastN: -1 }, /penaltyLastN/],
    [{ penaltyLastN: 1.5 }, /penaltyLastN/],
    [{ logitBias: { 10: 1 } }, /logitBias/],
    [{ logitBias: { 1.5: 1 } }, /logitBias/],
    [{ logitBias: { '-1': 1 } }, /logitBias/],
    [{ logitBias: new Map([[2.5, 1]]) }, /logitBias/],
    [{ logitBias: { 1: NaN } }, /logitBias/],
    [{ logitBias: { 1: Infinity } }, /logitBias/],
    [{ seed: 0.5 }, /seed/],
    [{ vocab: 0 }, /vocabSize/],
  ];
  for (const [opts, name] of bad) {
    it(`rejects ${JSON.stringify(opts, (_k, v) => (v instanceof Map ? [...v] : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}`, () => {
      const vocab = 'vocab' in opts ? opts.vocab : 10;
      let error: unknown;
      try {
        new Sampler(vocab, 'vocab' in opts ? {} : opts);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SamplingOptionsError);
      expect((error as Error).message).toMatch(name);
    });
  }

  it('accepts the edge values and treats negative topK as disabled', () => {
    expect(() => new Sampler(10, { topK: -5, topP: 1, minP: 0, temperature: -1, seed: -7 })).not.toThrow();
    expect(() => new Sampler(10, { minP: 1, frequencyPenalty: -0.5, logitBias: { 9: -Infinity } })).not.toThrow();
    const s = new Sampler(10, { topK: -5, topP: 1, minP: 0, temperature: 1, seed: 3 });
    const logits = new Float32Array(10);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(s.sample(logits));
    expect(seen.size).toBe(10);
  });
});
