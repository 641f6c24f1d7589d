import { describe, expect, it } from 'vitest';
import { arrivalTimes, interArrivalTimes, Rng } from '../src/index.js';

function moments(x: ArrayLike<number>): { mean: number; cv: number } {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  const mean = s / x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - mean) ** 2;
  return { mean, cv: Math.sqrt(v / x.length) / mean };
}

describe('arrival schedules', () => {
  const N = 40_000;

  it('Poisson arrivals have mean gap 1/rate and CV 1', () => {
    const m = moments(interArrivalTimes(N, { rate: 4, seed: 7 }));
    expect(m.mean).toBeGreaterThan(250 * 0.97);
    expect(m.mean).toBeLessThan(250 * 1.03);
    expect(m.cv).toBeGreaterThan(0.96);
    expect(m.cv).toBeLessThan(1.04);
  });

  it.each([
    [0.25, 2],
    [0.5, Math.SQRT2],
    [4, 0.5],
  ])('gamma arrivals with burstiness %d keep mean 1/rate and have CV 1/√burstiness', (k, cv) => {
    const m = moments(interArrivalTimes(N, { rate: 10, burstiness: k, seed: 3 }));
    expect(Math.abs(m.mean - 100) / 100).toBeLessThan(0.05);
    expect(Math.abs(m.cv - cv) / cv).toBeLessThan(0.06);
  });

  it('gamma sampler matches the gamma distribution (mean and variance) for small and large shapes', () => {
    const rng = new Rng(11);
    for (const [shape, scale] of [[0.3, 2], [2.5, 0.4], [9, 1]]) {
      const x = Float64Array.from({ length: N }, () => rng.gamma(shape, scale));
      const m = moments(x);
      expect(Math.abs(m.mean - shape * scale) / (shape * scale)).toBeLessThan(0.04);
      expect(Math.abs(m.cv - 1 / Math.sqrt(shape)) / (1 / Math.sqrt(shape))).toBeLessThan(0.05);
    }
  });

  it('is reproducible by seed, different across seeds, and starts at 0', () => {
    const a = arrivalTimes(50, { rate: 2, burstiness: 0.5, seed: 1 });
    const b = arrivalTimes(50, { rate: 2, burstiness: 0.5, seed: 1 });
    const c = arrivalTimes(50, { rate: 2, burstiness: 0.5, seed: 2 });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(a[0]).toBe(0);
    for (let i = 1; i < a.length; i++) expect(a[i]).toBeGreaterThanOrEqual(a[i - 1]);
  });

  it('an infinite rate sends everything at once; bad parameters throw', () => {
    expect(Array.from(arrivalTimes(5, { rate: Infinity }))).toEqual([0, 0, 0, 0, 0]);
    expect(() => interArrivalTimes(3, { rate: 0 })).toThrow(/rate/);
    expect(() => interArrivalTimes(3, { rate: 1, burstiness: -1 })).toThrow(/burstiness/);
  });
});
