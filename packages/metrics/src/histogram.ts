/**
 * Histogram binning for latency samples.
 *
 * Latencies are heavy-tailed (a 100 ms stall among 10 ms gaps), so the default bins are
 * spaced logarithmically: a linear axis would squeeze the whole bulk into one bar.
 */

/** Bin edges (length bins + 1) and counts (length bins); bin i is [edges[i], edges[i+1]), the last one closed. */
export interface Histogram {
  edges: Float64Array;
  counts: Uint32Array;
  /** Values outside [edges[0], edges[bins]] (and NaN), not counted in any bin. */
  outside: number;
}

/** Options for {@link logEdges} and {@link linearEdges}. */
export interface EdgeRange {
  min: number;
  max: number;
  bins: number;
}

/** `bins + 1` logarithmically spaced edges from min to max (min > 0). */
export function logEdges({ min, max, bins }: EdgeRange): Float64Array {
  if (!(min > 0) || !(max >= min) || bins < 1) throw new RangeError(`log bins need 0 < min ≤ max and bins ≥ 1, got ${min}, ${max}, ${bins}`);
  const edges = new Float64Array(bins + 1);
  if (max === min) max = min * 1.01; // a constant sample still gets a visible bin
  const lmin = Math.log(min);
  const step = (Math.log(max) - lmin) / bins;
  for (let i = 0; i <= bins; i++) edges[i] = Math.exp(lmin + i * step);
  edges[0] = min; // exact ends despite exp/log rounding
  edges[bins] = max;
  return edges;
}

/** `bins + 1` evenly spaced edges from min to max. */
export function linearEdges({ min, max, bins }: EdgeRange): Float64Array {
  if (!(max >= min) || bins < 1) throw new RangeError(`linear bins need min ≤ max and bins ≥ 1, got ${min}, ${max}, ${bins}`);
  if (max === min) max = min + 1;
  const edges = new Float64Array(bins + 1);
  for (let i = 0; i <= bins; i++) edges[i] = min + ((max - min) * i) / bins;
  edges[bins] = max;
  return edges;
}

/** Counts `sample` into the bins delimited by ascending `edges`. */
export function histogram(sample: ArrayLike<number>, edges: Float64Array): Histogram {
  const bins = edges.length - 1;
  const counts = new Uint32Array(bins);
  let outside = 0;
  const lo = edges[0];
  const hi = edges[bins];
  for (let i = 0; i < sample.length; i++) {
    const v = sample[i];
    if (!(v >= lo && v <= hi)) {
      outside++;
      continue;
    }
    // Binary search for the last edge ≤ v; the top edge belongs to the last bin.
    let a = 0;
    let b = bins;
    while (b - a > 1) {
      const m = (a + b) >>> 1;
      if (edges[m] <= v) a = m;
      else b = m;
    }
    counts[a]++;
  }
  return { edges, counts, outside };
}
