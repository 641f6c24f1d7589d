import { describe, expect, it } from 'vitest';
import { CandidateSet } from '../../src/sample/candidates.js';
import type { Xoshiro128 } from '../../src/sample/rng.js';
import { selectTop, sortInPlace } from '../../src/sample/select.js';
import { rankAll, randomLogits, testRandom, type Ranked } from './helpers.js';

const T1 = { temperature: 1 };

/** A stand-in generator that always returns `u`. */
function fixed(u: number): Xoshiro128 {
  return { nextFloat: () => u } as unknown as Xoshiro128;
}

function loaded(logits: Float32Array): CandidateSet {
  const c = new CandidateSet(logits.length);
  c.load(logits);
  return c;
}

function live(c: CandidateSet): number[] {
  return Array.from(c.ids.subarray(0, c.size));
}

/** Independent top-p: sort everything, softmax in float64, smallest prefix with mass >= p (at least 1). */
function referenceTopP(ranked: Ranked[], p: number): { ids: number[]; margin: number } {
  const max = ranked[0].logit;
  const e = ranked.map((r) => Math.exp(r.logit - max));
  const total = e.reduce((a, b) => a + b, 0);
  let cum = 0;
  for (let i = 0; i < ranked.length; i++) {
    const before = cum;
    cum += e[i] / total;
    if (cum >= p) {
      // How far p is from either edge of the chosen step; tiny margins are rounding-ambiguous.
      return { ids: ranked.slice(0, i + 1).map((r) => r.id), margin: Math.min(cum - p, p - before) };
    }
  }
  return { ids: ranked.map((r) => r.id), margin: Infinity };
}

describe('selectTop', () => {
  it('returns the m best, best first, ties broken by lower id', () => {
    const rand = testRandom(1);
    for (const [n, m] of [
      [1, 1],
      [10, 3],
      [500, 40],
      [500, 500],
      [3000, 257],
    ]) {
      // Quantised logits force many ties.
      const logits = Float32Array.from({ length: n }, () => Math.round(rand() * 20) / 4);
      const ids = Int32Array.from({ length: n }, (_, i) => i);
      // Shuffle so the input order is not the id order.
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [ids[i], ids[j]] = [ids[j], ids[i]];
        [logits[i], logits[j]] = [logits[j], logits[i]];
      }
      const outIds = new Int32Array(m);
      const outLogits = new Float32Array(m);
      selectTop(ids, logits, n, m, outIds, outLogits);
      const expected = rankAll(ids, logits).slice(0, m);
      expect(Array.from(outIds)).toEqual(expected.map((r) => r.id));
      expect(Array.from(outLogits)).toEqual(expected.map((r) => r.logit));
    }
  });
});

describe('selectTop on a dense row', () => {
  it('uses the index as id and skips NaN and -Infinity', () => {
    const row = Float32Array.from([NaN, 2, -Infinity, 5, 2, -1, NaN]);
    const ids = new Int32Array(7);
    const logits = new Float32Array(7);
    expect(selectTop(null, row, row.length, 3, ids, logits)).toBe(3);
    expect(Array.from(ids.subarray(0, 3))).toEqual([3, 1, 4]);
    expect(selectTop(null, row, row.length, 7, ids, logits)).toBe(4);
    expect(Array.from(ids.subarray(0, 4))).toEqual([3, 1, 4, 5]);
  });
});

describe('CandidateSet', () => {
  it('load drops -Infinity and NaN logits', () => {
    const c = loaded(Float32Array.from([1, -Infinity, NaN, 0, -5]));
    expect(live(c)).toEqual([0, 3, 4]);
  });

  it('sortInPlace and sort order best first, ties by lower id', () => {
    const rand = testRandom(8);
    const logits = Float32Array.from({ length: 700 }, () => Math.round(rand() * 30) / 4);
    const ids = Int32Array.from({ length: 700 }, (_, i) => 699 - i);
    const expected = rankAll(ids, logits);
    sortInPlace(ids, logits, 700);
    expect(Array.from(ids)).toEqual(expected.map((r) => r.id));
    const c = loaded(Float32Array.from([1, 3, -2, 3]));
    c.sort();
    expect(c.sorted).toBe(true);
    expect(live(c)).toEqual([1, 3, 0, 2]);
  });

  it('keepTopK keeps exactly the k best (ties → lower id)', () => {
    const rand = testRandom(2);
    for (const k of [1, 5, 40, 199]) {
      const logits = Float32Array.from({ length: 200 }, () => Math.round(rand() * 40) / 8);
      const c = loaded(logits);
      c.keepTopK(k);
      const ranked = rankAll(Int32Array.from(logits.keys()), logits);
      expect(live(c)).toEqual(ranked.slice(0, k).map((r) => r.id));
      expect(c.sorted).toBe(true);
    }
    // Nothing to drop: left as is.
    for (const k of [0, -1, 3, 10]) {
      const c = loaded(Float32Array.from([3, 1, 2]));
      c.keepTopK(k);
      expect(live(c)).toEqual([0, 1, 2]);
    }
  });

  it('load with topK fuses the selection', () => {
    const rand = testRandom(7);
    const logits = Float32Array.from({ length: 4000 }, () => Math.round(rand() * 300) / 16);
    logits[17] = -Infinity;
    logits[18] = NaN;
    // Filter before ranking: NaN would make the reference comparator inconsistent.
    const valid = Array.from(logits.keys()).filter((i) => logits[i] > -Infinity);
    const ranked = rankAll(valid, valid.map((i) => logits[i]));
    for (const k of [1, 40, 512, 3000, 3998, 3999]) {
      const c = new CandidateSet(logits.length);
      c.load(logits, k);
      expect(c.sorted).toBe(true);
      expect(live(c)).toEqual(ranked.slice(0, k).map((r) => r.id));
    }
    // k >= the row length drops nothing, so nothing is sorted either.
    const all = new CandidateSet(logits.length);
    all.load(logits, 4000);
    expect(all.sorted).toBe(false);
    expect(live(all)).toEqual(valid);
  });

  it('keepTopP keeps the smallest nucleus reaching p, sorted or not, peaked or flat', () => {
    const rand = testRandom(3);
    let checked = 0;
    for (const [n, scale] of [
      [50, 3],
      [5000, 4],
      [5000, 0.3], // flat: the nucleus spans thousands of tokens
      [5000, 12], // wide: many tokens fall past the histogram range
    ]) {
      for (const p of [0.05, 0.5, 0.9, 0.95, 0.999]) {
        const logits = randomLogits(n, rand, scale);
        const ranked = rankAll(Int32Array.from(logits.keys()), logits);
        const ref = referenceTopP(ranked, p);
        if (ref.margin < 1e-6) continue; // rounding-ambiguous boundary: float order of summation decides
        const unsorted = loaded(logits);
        unsorted.keepTopP({ topP: p }, 1);
        expect(live(unsorted).sort((a, b) => a - b)).toEqual([...ref.ids].sort((a, b) => a - b));
        const sorted = loaded(logits);
        sorted.sort();
        sorted.keepTopP({ topP: p }, 1);
        expect(live(sorted)).toEqual(ref.ids);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(17);
  });

  it('keepTopP cuts ties at the boundary by lower id', () => {
    const c = loaded(new Float32Array(3000)); // uniform: 0.5 needs 1500 tokens
    c.keepTopP({ topP: 0.5 }, 1);
    expect(live(c).sort((a, b) => a - b)).toEqual(Array.from({ length: 1500 }, (_, i) => i));
    // Two tiers: ids 0..9 at weight 4, the rest at weight 1 (ln 4 apart); p = 0.6 of 10*4 + 90 = 130.
    const tiers = Float32Array.from({ length: 100 }, (_, i) => (i < 10 ? Math.log(4) : 0));
    const t = loaded(tiers);
    t.keepTopP({ topP: 0.6 }, 1);
    // 0.6 * 130 = 78 → all 10 of the first tier (40) + 38 of the second, the lowest ids.
    expect(live(t).sort((a, b) => a - b)).toEqual(Array.from({ length: 48 }, (_, i) => i));
  });

  it('keepTopP gives +Infinity logits all the mass', () => {
    const c = loaded(Float32Array.from([5, Infinity, 7, Infinity, 1]));
    c.keepTopP({ topP: 0.4 }, 1);
    expect(live(c)).toEqual([1]);
    const d = loaded(Float32Array.from([5, Infinity, 7, Infinity, 1]));
    d.keepTopP({ topP: 0.9 }, 1);
    expect(live(d).sort()).toEqual([1, 3]);
  });

  it('keepTopP keeps at least minKeep and at least one token', () => {
    const c = loaded(Float32Array.from([10, 0, 0, 0]));
    c.keepTopP({ topP: 0.5 }, 1);
    expect(live(c)).toEqual([0]);
    const c3 = loaded(Float32Array.from([10, 0, 1, 0]));
    c3.keepTopP({ topP: 0.5 }, 3);
    expect(live(c3)).toEqual([0, 2, 1]);
  });

  it('keepTopP after keepTopK renormalises over the survivors', () => {
    // Probabilities over {0,1,2} (top-3): 0.5, 0.3, 0.2 → p = 0.75 keeps 2; over all 6 tokens it would need 3.
    const raw = [0.5, 0.3, 0.2].map((x) => Math.log(x));
    const logits = Float32Array.from([raw[0], raw[1], raw[2], raw[2] - 0.1, raw[2] - 0.2, raw[2] - 0.3]);
    const c = loaded(logits);
    c.keepTopK(3);
    c.keepTopP({ topP: 0.75 }, 1);
    expect(live(c)).toEqual([0, 1]);
    const all = loaded(logits);
    all.keepTopP({ topP: 0.75 }, 1);
    expect(all.size).toBeGreaterThan(2);
  });

  it('keepMinP keeps tokens with p >= minP * p_max, sorted or not', () => {
    const rand = testRandom(4);
    for (const minP of [0.01, 0.05, 0.3, 1]) {
      const logits = randomLogits(300, rand);
      const pmax = Math.max(...logits);
      // In probability space: p_i / p_max = exp(l_i - l_max).
      const expectedSet = Array.from(logits.keys()).filter((i) => Math.exp(logits[i] - pmax) >= minP);
      const unsorted = loaded(logits);
      unsorted.keepMinP({ minP });
      expect(live(unsorted).sort((a, b) => a - b)).toEqual(expectedSet);
      const sorted = loaded(logits);
      sorted.sort();
      sorted.keepMinP({ minP });
      const ranked = rankAll(Int32Array.from(logits.keys()), logits).map((r) => r.id);
      expect(live(sorted)).toEqual(ranked.filter((id) => expectedSet.includes(id)));
    }
  });

  it('keepMinP keeps all ties of the maximum at minP = 1', () => {
    const c = loaded(Float32Array.from([1, 3, 3, 2]));
    c.keepMinP({ minP: 1 });
    expect(live(c)).toEqual([1, 2]);
  });

  it('pick maps u through the cumulative distribution', () => {
    // Weights at T = 1: ln(1), ln(2), ln(1) → probabilities 0.25, 0.5, 0.25.
    const c = loaded(Float32Array.from([0, Math.log(2), 0]));
    expect(c.pick(fixed(0), T1)).toBe(0);
    expect(c.pick(fixed(0.2499), T1)).toBe(0);
    expect(c.pick(fixed(0.2501), T1)).toBe(1);
    expect(c.pick(fixed(0.7499), T1)).toBe(1);
    expect(c.pick(fixed(0.7501), T1)).toBe(2);
    expect(c.pick(fixed(0.999999), T1)).toBe(2);
  });

  it('pick gives +Infinity logits all the mass', () => {
    const c = loaded(Float32Array.from([5, Infinity, 7, Infinity]));
    expect(c.pick(fixed(0.2), T1)).toBe(1);
    expect(c.pick(fixed(0.7), T1)).toBe(3);
  });
});
