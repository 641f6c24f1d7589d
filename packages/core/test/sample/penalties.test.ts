import { describe, expect, it } from 'vitest';
import { PenaltyWindow } from '../../src/sample/penalties.js';
import { randomLogits, testRandom } from './helpers.js';

/** llama.cpp's penalty formula written out directly over a plain history array. */
function referencePenalties(
  logits: Float32Array,
  history: number[],
  lastN: number,
  repeat: number,
  frequency: number,
  presence: number,
): Float32Array {
  const window = history.slice(Math.max(0, history.length - lastN));
  const counts = new Map<number, number>();
  for (const t of window) counts.set(t, (counts.get(t) ?? 0) + 1);
  const out = Float32Array.from(logits);
  for (const [t, count] of counts) {
    const l = out[t] <= 0 ? out[t] * repeat : out[t] / repeat;
    out[t] = l - count * frequency - (count > 0 ? presence : 0);
  }
  return out;
}

const ALL = { repeatPenalty: 2, frequencyPenalty: 1, presencePenalty: 1 };

describe('PenaltyWindow', () => {
  it('matches the llama.cpp formula over a sliding window', () => {
    const rand = testRandom(11);
    const vocab = 50;
    for (const [lastN, repeat, frequency, presence] of [
      [8, 1.3, 0, 0],
      [8, 1, 0.4, 0],
      [8, 1, 0, 0.7],
      [16, 1.1, 0.2, 0.5],
      [3, 0.8, -0.3, -0.1],
      [64, 1.2, 0.1, 0.1],
    ]) {
      const w = new PenaltyWindow(vocab, lastN);
      const history: number[] = [];
      for (let step = 0; step < 60; step++) {
        // Draw from a few ids so repeats happen often.
        const id = Math.floor(rand() * 12);
        w.accept(id);
        history.push(id);
        if (step % 7 !== 0) continue;
        const logits = randomLogits(vocab, rand);
        logits[0] = 0; // the <= 0 branch at exactly zero
        const expected = referencePenalties(logits, history, lastN, repeat, frequency, presence);
        const got = Float32Array.from(logits);
        w.apply(got, { repeatPenalty: repeat, frequencyPenalty: frequency, presencePenalty: presence });
        for (let i = 0; i < vocab; i++) expect(got[i]).toBeCloseTo(expected[i], 5);
      }
    }
  });

  it('divides positive logits and multiplies negative ones', () => {
    const w = new PenaltyWindow(4, 4);
    w.accept(0);
    w.accept(1);
    const logits = Float32Array.from([2, -2, 2, -2]);
    w.apply(logits, { repeatPenalty: 2, frequencyPenalty: 0, presencePenalty: 0 });
    expect(Array.from(logits)).toEqual([1, -4, 2, -2]);
  });

  it('frequency scales with the count in the window, presence does not', () => {
    const w = new PenaltyWindow(3, 4);
    for (const t of [1, 1, 1, 2]) w.accept(t);
    const logits = new Float32Array(3);
    w.apply(logits, { repeatPenalty: 1, frequencyPenalty: 0.5, presencePenalty: 0.25 });
    expect(Array.from(logits)).toEqual([0, -1.75, -0.75]);
    w.accept(0); // pushes out the first 1
    expect(w.count(1)).toBe(2);
    expect(w.count(0)).toBe(1);
  });

  it('lastN = 0 disables, reset forgets', () => {
    const off = new PenaltyWindow(3, 0);
    off.accept(1);
    const a = Float32Array.from([1, 1, 1]);
    off.apply(a, ALL);
    expect(Array.from(a)).toEqual([1, 1, 1]);
    const w = new PenaltyWindow(3, 4);
    w.accept(1);
    w.reset();
    const b = Float32Array.from([1, 1, 1]);
    w.apply(b, ALL);
    expect(Array.from(b)).toEqual([1, 1, 1]);
  });
});
