/**
 * Smoothness: how steady the token stream is, independent of how fast it is.
 *
 * For the gaps g₁…g_m between consecutive chunks of one request:
 *
 *     S = 1 / (1 + CV²) = mean(g)² / mean(g²),   CV = std(g)/mean(g) (population std)
 *
 * Range (0, 1]: S = 1 exactly when every gap is equal; S → 0 as the gaps get more uneven.
 * Examples: 200 gaps of 10 ms with one of them a 100 ms stall give S ≈ 0.73; gaps alternating
 * 5 ms / 15 ms give S = 0.8; exponential gaps (a Poisson stream) give S = 0.5.
 *
 * Why this one:
 * - it is scale-free, so two runs at the same mean tokens/s differ only through the shape
 *   of their gaps, and a fast run is not called smooth for being fast;
 * - it weighs gaps by their square, so rare long stalls (what users see as stutter) pull
 *   it down hard, while a tail ratio such as P50/P99 is blind to anything rarer than 1 %
 *   of gaps and median/max is set by a single outlier;
 * - it is bounded and needs no threshold.
 * Limitation: a slow drift (gaps growing as the batch fills) also lowers it a little.
 *
 * A run's score is the mean of the per-request scores weighted by each request's gap
 * count, so it measures what each user saw; requests with fewer than two gaps carry no
 * information about variation and are left out.
 */
import type { RequestTimeline } from './timeline.js';
import { forEachChunk } from './timeline.js';

/** Smoothness of a run. */
export interface SmoothnessResult {
  /** Gap-weighted mean of the per-request scores, in (0, 1]; NaN when no request has two gaps. */
  score: number;
  /** Lowest per-request score (the least smooth stream). */
  worst: number;
  /** Score of all gaps pooled, which also counts differences between requests. */
  pooled: number;
  /** Requests that contributed (at least two gaps). */
  requests: number;
}

/** S = mean²/mean-of-squares of `gaps[start, end)`; NaN with fewer than two gaps, 1 if all are 0. */
export function smoothnessOfGaps(gaps: ArrayLike<number>, start = 0, end = gaps.length): number {
  const m = end - start;
  if (m < 2) return NaN;
  let sum = 0;
  let sumSq = 0;
  for (let i = start; i < end; i++) {
    const g = gaps[i];
    sum += g;
    sumSq += g * g;
  }
  if (sumSq === 0) return 1;
  const mean = sum / m;
  return (mean * mean) / (sumSq / m);
}

/** Per-request and run smoothness of the chunk gaps of `timelines`. */
export function smoothness(timelines: readonly RequestTimeline[]): SmoothnessResult {
  let weighted = 0;
  let weight = 0;
  let worst = Infinity;
  let requests = 0;
  let pSum = 0;
  let pSumSq = 0;
  let pCount = 0;
  for (const t of timelines) {
    let sum = 0;
    let sumSq = 0;
    let m = 0;
    let prev = NaN;
    forEachChunk(t, (time, _tokens, index) => {
      if (index > 0) {
        const g = time - prev;
        sum += g;
        sumSq += g * g;
        m++;
      }
      prev = time;
    });
    pSum += sum;
    pSumSq += sumSq;
    pCount += m;
    if (m < 2) continue;
    const s = sumSq === 0 ? 1 : (sum * sum) / (m * sumSq);
    weighted += s * m;
    weight += m;
    if (s < worst) worst = s;
    requests++;
  }
  return {
    score: weight > 0 ? weighted / weight : NaN,
    worst: requests > 0 ? worst : NaN,
    pooled: pCount < 2 ? NaN : pSumSq === 0 ? 1 : (pSum * pSum) / (pCount * pSumSq),
    requests,
  };
}
