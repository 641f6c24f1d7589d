/**
 * Summary statistics of a sample of latencies.
 *
 * Conventions, chosen to match what `vllm bench serve` prints (it uses numpy):
 * - percentiles use linear interpolation between closest ranks, numpy's default
 *   (`method='linear'`, Hyndman & Fan type 7): for sorted x[0..n-1] and p in [0, 100],
 *   h = (n − 1)·p/100, result = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]);
 * - `std` is the population standard deviation (ddof = 0, numpy's default);
 * - NaN entries are ignored (a request with no second token has no TPOT, say);
 * - an empty sample gives count 0 and NaN for every statistic.
 */

/** Statistics of one sample. Units are the sample's (milliseconds throughout this package). */
export interface Summary {
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  /** Extra percentiles requested through `SummarizeOptions.percentiles`, keyed by `String(p)` (e.g. "99.9"). */
  percentiles: Record<string, number>;
}

/** Options for {@link summarize}. */
export interface SummarizeOptions {
  /** Additional percentiles in [0, 100] to report in `Summary.percentiles`. */
  percentiles?: readonly number[];
  /**
   * Scratch buffer of at least `sample.length` elements used for sorting; when absent one
   * is allocated. The sample itself is never reordered.
   */
  scratch?: Float64Array;
}

/**
 * Percentile `p` (0–100) of an ascending sorted array by linear interpolation (numpy's
 * default method). Returns NaN when `length` is 0.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number, length = sorted.length): number {
  if (length === 0) return NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
  const h = ((length - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = lo + 1 < length ? lo + 1 : lo;
  const frac = h - lo;
  return sorted[lo] + frac * (sorted[hi] - sorted[lo]);
}

/** Percentile `p` (0–100) of an unsorted sample; copies and sorts (see {@link summarize} for many at once). */
export function percentile(sample: ArrayLike<number>, p: number): number {
  const sorted = new Float64Array(sample.length);
  const n = copyNonNaN(sample, sorted);
  sorted.subarray(0, n).sort();
  return percentileSorted(sorted, p, n);
}

/** Summarise a sample: mean, population std, min, max, P50/P90/P95/P99 and any extra percentiles. */
export function summarize(sample: ArrayLike<number>, opts: SummarizeOptions = {}): Summary {
  const scratch = opts.scratch && opts.scratch.length >= sample.length ? opts.scratch : new Float64Array(sample.length);
  const n = copyNonNaN(sample, scratch);
  const sorted = scratch.subarray(0, n);
  sorted.sort();

  // Two-pass mean/variance: the sample is small enough, and it avoids the cancellation
  // of the sum-of-squares formula on millisecond timestamps.
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  const mean = n > 0 ? sum / n : NaN;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = sorted[i] - mean;
    ss += d * d;
  }

  const percentiles: Record<string, number> = {};
  for (const p of opts.percentiles ?? []) percentiles[String(p)] = percentileSorted(sorted, p, n);

  return {
    count: n,
    mean,
    std: n > 0 ? Math.sqrt(ss / n) : NaN,
    min: n > 0 ? sorted[0] : NaN,
    max: n > 0 ? sorted[n - 1] : NaN,
    p50: percentileSorted(sorted, 50, n),
    p90: percentileSorted(sorted, 90, n),
    p95: percentileSorted(sorted, 95, n),
    p99: percentileSorted(sorted, 99, n),
    percentiles,
  };
}

/** Copies the non-NaN values of `src` into `dst`; returns how many were copied. */
function copyNonNaN(src: ArrayLike<number>, dst: Float64Array): number {
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (v === v) dst[n++] = v;
  }
  return n;
}
