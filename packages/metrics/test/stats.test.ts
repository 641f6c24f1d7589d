import { describe, expect, it } from 'vitest';
import { percentile, percentileSorted, summarize } from '../src/stats.js';
import { histogram, linearEdges, logEdges } from '../src/histogram.js';

describe('summarize', () => {
  it('matches hand-computed mean, population std and numpy-linear percentiles', () => {
    // sorted: 1 2 3 4 10; mean 4; var = (9+4+1+0+36)/5 = 10
    const s = summarize(new Float64Array([10, 1, 4, 3, 2]), { percentiles: [25, 40, 99.9] });
    expect(s.count).toBe(5);
    expect(s.mean).toBe(4);
    expect(s.std).toBeCloseTo(Math.sqrt(10), 12);
    expect(s.min).toBe(1);
    expect(s.max).toBe(10);
    expect(s.p50).toBe(3);
    // h = 4·0.90 = 3.6 → 4 + 0.6·(10 − 4)
    expect(s.p90).toBeCloseTo(7.6, 12);
    expect(s.p95).toBeCloseTo(8.8, 12);
    expect(s.p99).toBeCloseTo(9.76, 12);
    expect(s.percentiles['25']).toBe(2);
    // h = 1.6 → 2 + 0.6·1
    expect(s.percentiles['40']).toBeCloseTo(2.6, 12);
    expect(s.percentiles['99.9']).toBeCloseTo(4 + 0.996 * 6, 12);
  });

  it('interpolates like numpy on the textbook sample 15 20 35 40 50', () => {
    // numpy.percentile([15,20,35,40,50], [5, 30, 40, 50, 100]) = [16, 23, 29, 35, 50]
    const x = [15, 20, 35, 40, 50];
    expect(percentile(x, 5)).toBeCloseTo(16, 12);
    expect(percentile(x, 30)).toBeCloseTo(23, 12);
    expect(percentile(x, 40)).toBeCloseTo(29, 12);
    expect(percentile(x, 50)).toBe(35);
    expect(percentile(x, 100)).toBe(50);
    expect(percentile(x, 0)).toBe(15);
  });

  it('ignores NaN, leaves the input untouched and uses the given scratch', () => {
    const input = new Float64Array([10, NaN, 1, 4, 3, 2]);
    const scratch = new Float64Array(8).fill(-1);
    const s = summarize(input, { scratch });
    expect(s.count).toBe(5);
    expect(s.mean).toBe(4);
    expect(Array.from(input.subarray(0, 3))).toEqual([10, NaN, 1]);
    expect(Array.from(scratch.subarray(0, 5))).toEqual([1, 2, 3, 4, 10]);
  });

  it('handles one value and empty samples', () => {
    const one = summarize([7]);
    expect([one.mean, one.std, one.min, one.max, one.p50, one.p99]).toEqual([7, 0, 7, 7, 7, 7]);
    const none = summarize([]);
    expect(none.count).toBe(0);
    expect(Number.isNaN(none.mean) && Number.isNaN(none.p99) && Number.isNaN(none.std)).toBe(true);
  });

  it('rejects percentiles outside [0, 100]', () => {
    expect(() => percentileSorted([1, 2], 101)).toThrow(RangeError);
  });
});

describe('histogram', () => {
  it('counts into linear bins with the top edge closed and reports values outside', () => {
    const edges = linearEdges({ min: 0, max: 10, bins: 5 });
    expect(Array.from(edges)).toEqual([0, 2, 4, 6, 8, 10]);
    const h = histogram([0, 1.99, 2, 5, 9.5, 10, -1, 11, NaN], edges);
    expect(Array.from(h.counts)).toEqual([2, 1, 1, 0, 2]);
    expect(h.outside).toBe(3);
  });

  it('spaces log edges geometrically', () => {
    const e = logEdges({ min: 1, max: 1000, bins: 3 });
    expect(e[0]).toBe(1);
    expect(e[1]).toBeCloseTo(10, 10);
    expect(e[2]).toBeCloseTo(100, 10);
    expect(e[3]).toBe(1000);
    expect(Array.from(histogram([1, 9, 10.5, 500, 1000], e).counts)).toEqual([2, 1, 2]);
  });
});
