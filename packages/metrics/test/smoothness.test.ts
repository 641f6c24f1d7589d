import { describe, expect, it } from 'vitest';
import { smoothness, smoothnessOfGaps } from '../src/smoothness.js';
import { summarize } from '../src/stats.js';
import { systemTokensPerSecond, vllmItl } from '../src/definitions.js';
import { rng, timelineFromGaps } from './synthetic.js';

/** Gaps with ±5 % jitter, rescaled so they sum to exactly `total`. */
function jittered(n: number, total: number, seed: number): number[] {
  const rand = rng(seed);
  const g = Array.from({ length: n }, () => 1 + 0.1 * (rand() - 0.5));
  const s = g.reduce((a, b) => a + b, 0);
  return g.map((x) => (x * total) / s);
}

describe('smoothness', () => {
  it('equals 1/(1 + CV²) computed independently from mean and population std', () => {
    const gaps = [5, 15, 5, 15, 10, 40];
    const s = summarize(gaps);
    const cv = s.std / s.mean;
    expect(smoothnessOfGaps(gaps)).toBeCloseTo(1 / (1 + cv * cv), 12);
    expect(smoothnessOfGaps([5, 15])).toBeCloseTo(0.8, 12);
    expect(smoothnessOfGaps([7, 7, 7])).toBe(1);
    expect(smoothnessOfGaps([3])).toBeNaN();
  });

  it('separates a smooth run from a stuttering one with the same mean tokens/s', () => {
    const requests = 8;
    const n = 400; // gaps per request, 4000 ms of decoding each
    const smooth = [];
    const stutter = [];
    for (let r = 0; r < requests; r++) {
      smooth.push(timelineFromGaps(r, r * 100, 150, jittered(n, 4000, r + 1)));
      // 8 stalls of 60 ms, the other gaps shortened so the stream ends at the same time
      const g = jittered(n - 8, 4000 - 8 * 60, r + 101);
      for (let k = 0; k < 8; k++) g.splice(25 + k * 45, 0, 60);
      stutter.push(timelineFromGaps(r, r * 100, 150, g));
    }
    expect(systemTokensPerSecond(stutter)).toBeCloseTo(systemTokensPerSecond(smooth), 9);
    expect(summarize(vllmItl(stutter)).mean).toBeCloseTo(summarize(vllmItl(smooth)).mean, 9);

    const a = smoothness(smooth);
    const b = smoothness(stutter);
    expect(a.requests).toBe(requests);
    expect(a.score).toBeGreaterThan(0.99);
    // mean 10, mean square ≈ (392·8.98² + 8·60²)/400 ≈ 151 → S ≈ 0.66
    expect(b.score).toBeGreaterThan(0.6);
    expect(b.score).toBeLessThan(0.72);
    expect(b.worst).toBeLessThan(0.72);
    expect(a.worst).toBeGreaterThan(0.99);
  });

  it('is scale-free: the same shape twice as fast scores the same', () => {
    const gaps = [10, 10, 30, 10, 10, 10, 50, 10];
    const slow = smoothness([timelineFromGaps(0, 0, 100, gaps)]);
    const fast = smoothness([timelineFromGaps(0, 0, 50, gaps.map((g) => g / 2))]);
    expect(fast.score).toBeCloseTo(slow.score, 12);
  });

  it('weights each request by its gap count and skips requests with fewer than two gaps', () => {
    const a = timelineFromGaps('a', 0, 10, [5, 15]); // S = 0.8, 2 gaps
    const b = timelineFromGaps('b', 0, 10, [10, 10, 10, 10]); // S = 1, 4 gaps
    const c = timelineFromGaps('c', 0, 10, [500]); // 1 gap: ignored
    const s = smoothness([a, b, c]);
    expect(s.requests).toBe(2);
    expect(s.score).toBeCloseTo((0.8 * 2 + 1 * 4) / 6, 12);
    expect(s.worst).toBeCloseTo(0.8, 12);
    expect(s.pooled).toBeCloseTo(smoothnessOfGaps([5, 15, 10, 10, 10, 10, 500]), 12);
  });
});
