/**
 * The candidate list the sampler chain narrows step by step (llama.cpp's `llama_token_data_array`),
 * kept in preallocated typed arrays so a decode step allocates nothing.
 *
 * The truncations read their parameter from an object rather than taking a number argument:
 * a double passed to a call V8 does not inline is boxed on the heap, a field read is not.
 */
import type { Xoshiro128 } from './rng.js';
import { selectTop, sortInPlace } from './select.js';

/** Buckets of the top-p mass histogram, spanning MASS_RANGE nats below the maximum logit. */
const MASS_BUCKETS = 1024;
/** Tokens further than this below the best one (relative weight < e^-32) share the last bucket. */
const MASS_RANGE = 32;

/**
 * Candidates (id, logit) with the truncations of llama.cpp's sampler chain: each narrows the
 * live range [0, size) in place or through a swapped scratch buffer.
 */
export class CandidateSet {
  /** Token ids of the live candidates, [0, size). Swapped with a scratch buffer by the truncations. */
  ids: Int32Array;
  /** Logits matching `ids`. */
  logits: Float32Array;
  /** Number of live candidates. */
  size = 0;
  /** Whether [0, size) is ordered best first (logit desc, id asc). */
  sorted = false;
  private spareIds: Int32Array;
  private spareLogits: Float32Array;
  /** Unnormalised softmax weights matching `logits`. */
  private readonly weights: Float64Array;
  /** Top-p: each candidate's mass bucket, and each bucket's mass. */
  private readonly bucketOf: Uint16Array;
  private readonly bucketMass = new Float64Array(MASS_BUCKETS);

  constructor(readonly capacity: number) {
    this.ids = new Int32Array(capacity);
    this.logits = new Float32Array(capacity);
    this.spareIds = new Int32Array(capacity);
    this.spareLogits = new Float32Array(capacity);
    this.weights = new Float64Array(capacity);
    this.bucketOf = new Uint16Array(capacity);
  }

  /**
   * Loads the tokens of an id-indexed logit row, except those at -Infinity or NaN, which can
   * never be drawn. With `topK > 0` only the `topK` best are kept, found in the same pass.
   */
  load(logits: Float32Array, topK = 0): void {
    if (topK > 0 && topK < logits.length) {
      this.size = selectTop(null, logits, logits.length, topK, this.ids, this.logits);
      this.sorted = true;
      return;
    }
    const ids = this.ids;
    const out = this.logits;
    let n = 0;
    for (let id = 0; id < logits.length; id++) {
      const l = logits[id];
      if (l > -Infinity) {
        ids[n] = id;
        out[n] = l;
        n++;
      }
    }
    this.size = n;
    this.sorted = false;
  }

  /** Orders all live candidates best first (a full heapsort: O(n log n)). */
  sort(): void {
    if (this.sorted) return;
    sortInPlace(this.ids, this.logits, this.size);
    this.sorted = true;
  }

  /** Keeps the `k` best candidates, sorted. No-op for k <= 0 or k >= size (nothing to drop). */
  keepTopK(k: number): void {
    if (k <= 0 || k >= this.size) return;
    if (!this.sorted) {
      selectTop(this.ids, this.logits, this.size, k, this.spareIds, this.spareLogits);
      this.swapBuffers();
      this.sorted = true;
    }
    this.size = k;
  }

  /**
   * Keeps the smallest set of best candidates whose softmax mass (over the current candidates,
   * at temperature 1, as llama.cpp computes it) reaches `topP`, and at least `minKeep`.
   * No-op for topP >= 1. A sorted set stays sorted. An unsorted one is filtered without a full
   * sort and stays unsorted: a mass histogram over logit buckets finds the bucket where the
   * running mass crosses `topP`, and only that bucket's members are sorted.
   */
  keepTopP(params: { readonly topP: number }, minKeep = 1): void {
    const p = params.topP;
    if (p >= 1 || this.size === 0) return;
    if (!this.sorted) {
      if (minKeep <= 1) {
        this.keepUnsortedMass(params);
        return;
      }
      // Rare (the sampler uses minKeep = 1): honour minKeep on a fully sorted list.
      this.sort();
    }
    const logits = this.logits;
    const max = logits[0];
    const target = p * this.computeWeights(max, 1);
    const w = this.weights;
    let cum = 0;
    for (let i = 0; i < this.size; i++) {
      cum += w[i];
      if (cum >= target && i + 1 >= minKeep) {
        this.size = i + 1;
        return;
      }
    }
  }

  /** Keeps candidates with probability >= minP * p_max, i.e. logit >= max + ln(minP). No-op for minP <= 0. */
  keepMinP(params: { readonly minP: number }): void {
    const p = params.minP;
    if (p <= 0 || this.size === 0) return;
    const threshold = this.maxLogit() + Math.log(p);
    const ids = this.ids;
    const logits = this.logits;
    if (this.sorted) {
      let i = 1; // the best candidate always survives
      while (i < this.size && logits[i] >= threshold) i++;
      this.size = i;
      return;
    }
    let n = 0;
    for (let i = 0; i < this.size; i++) {
      const l = logits[i];
      if (l >= threshold) {
        ids[n] = ids[i];
        logits[n] = l;
        n++;
      }
    }
    this.size = n;
  }

  /**
   * Draws one candidate from softmax(logits / temperature) with a uniform variate from `rng`.
   * Returns its token id, or -1 when there are no candidates.
   */
  pick(rng: Xoshiro128, params: { readonly temperature: number }): number {
    const n = this.size;
    if (n === 0) return -1;
    const total = this.computeWeights(this.maxLogit(), 1 / params.temperature);
    const target = rng.nextFloat() * total;
    const w = this.weights;
    let cum = 0;
    let last = 0;
    for (let i = 0; i < n; i++) {
      if (w[i] === 0) continue;
      cum += w[i];
      last = i;
      // Strict comparison so zero-weight (underflowed) candidates are never chosen.
      if (cum > target) return this.ids[i];
    }
    return this.ids[last]; // only reachable through rounding when the variate is just below 1
  }

  /** Top-p on an unsorted set with minKeep = 1; see {@link keepTopP}. */
  private keepUnsortedMass(params: { readonly topP: number }): void {
    const n = this.size;
    const ids = this.ids;
    const logits = this.logits;
    const bucketOf = this.bucketOf;
    const mass = this.bucketMass;
    mass.fill(0);
    const max = this.maxLogit();
    const infinite = max === Infinity;
    const target = params.topP * this.computeWeights(max, 1);
    const w = this.weights;
    const scale = MASS_BUCKETS / MASS_RANGE;
    const last = MASS_BUCKETS - 1;
    for (let i = 0; i < n; i++) {
      const l = logits[i];
      const d = max - l;
      // l === max also covers max = +Infinity, where d would be NaN.
      const b = l === max ? 0 : d < MASS_RANGE ? (d * scale) | 0 : last;
      bucketOf[i] = b;
      mass[b] += w[i];
    }
    // Buckets are monotone in the logit, so every member of a bucket before the crossing one
    // outranks every member of it: they are kept whole, the crossing bucket is cut by rank.
    let crossing = last;
    let cum = 0;
    for (let b = 0; b < MASS_BUCKETS; b++) {
      if (cum + mass[b] >= target) {
        crossing = b;
        break;
      }
      cum += mass[b];
    }
    const crossIds = this.spareIds;
    const crossLogits = this.spareLogits;
    let m = 0;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const b = bucketOf[i];
      if (b < crossing) {
        ids[kept] = ids[i];
        logits[kept] = logits[i];
        kept++;
      } else if (b === crossing) {
        crossIds[m] = ids[i];
        crossLogits[m] = logits[i];
        m++;
      }
    }
    sortInPlace(crossIds, crossLogits, m);
    for (let j = 0; j < m; j++) {
      const l = crossLogits[j];
      ids[kept] = crossIds[j];
      logits[kept] = l;
      kept++;
      cum += infinite ? (l === Infinity ? 1 : 0) : Math.exp(l - max);
      if (cum >= target) break;
    }
    this.size = kept;
  }

  private maxLogit(): number {
    if (this.sorted) return this.logits[0];
    const logits = this.logits;
    let max = -Infinity;
    for (let i = 0; i < this.size; i++) if (logits[i] > max) max = logits[i];
    return max;
  }

  /** Fills weights[i] = exp((logit_i - max) * invTemp) and returns their sum. */
  private computeWeights(max: number, invTemp: number): number {
    const logits = this.logits;
    const w = this.weights;
    let sum = 0;
    if (max === Infinity) {
      // A +Infinity logit takes all the mass; exp(inf - inf) would be NaN.
      for (let i = 0; i < this.size; i++) sum += w[i] = logits[i] === Infinity ? 1 : 0;
      return sum;
    }
    for (let i = 0; i < this.size; i++) sum += w[i] = Math.exp((logits[i] - max) * invTemp);
    return sum;
  }

  private swapBuffers(): void {
    const ids = this.ids;
    const logits = this.logits;
    this.ids = this.spareIds;
    this.logits = this.spareLogits;
    this.spareIds = ids;
    this.spareLogits = logits;
  }
}
