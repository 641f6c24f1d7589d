/** Test-only utilities, independent of the code under test. */

/** mulberry32: a tiny deterministic generator for test data (not the sampler's PRNG). */
export function testRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Gaussian-ish logits (sum of uniforms), rounded to float32 like real model output. */
export function randomLogits(n: number, rand: () => number, scale = 3): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() + rand() + rand() - 1.5) * 2 * scale;
  return out;
}

export interface Ranked {
  id: number;
  logit: number;
}

/** All (id, logit) pairs sorted by logit desc then id asc, with a plain Array.sort. */
export function rankAll(ids: ArrayLike<number>, logits: ArrayLike<number>): Ranked[] {
  const all: Ranked[] = [];
  for (let i = 0; i < ids.length; i++) all.push({ id: ids[i], logit: logits[i] });
  return all.sort((a, b) => (b.logit !== a.logit ? b.logit - a.logit : a.id - b.id));
}

/** softmax in float64. */
export function softmax(logits: readonly number[], temperature = 1): number[] {
  const max = Math.max(...logits);
  const e = logits.map((l) => Math.exp((l - max) / temperature));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** Pearson chi-square statistic of observed counts against expected probabilities. */
export function chiSquare(observed: readonly number[], probs: readonly number[]): number {
  const n = observed.reduce((a, b) => a + b, 0);
  let chi = 0;
  for (let i = 0; i < probs.length; i++) {
    const e = n * probs[i];
    chi += ((observed[i] - e) * (observed[i] - e)) / e;
  }
  return chi;
}
