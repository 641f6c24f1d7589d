/**
 * When requests arrive in a serving benchmark, as vLLM's `bench serve` schedules them: gaps
 * between arrivals drawn from Gamma(burstiness, 1 / (rate · burstiness)), so the mean gap is
 * always 1/rate and the coefficient of variation is 1/√burstiness. Burstiness 1 is a Poisson
 * process (exponential gaps); below 1 arrivals come in bursts, above 1 they are more regular.
 */
import { Rng } from './random.js';

/** How requests arrive. */
export interface ArrivalOptions {
  /** Requests per second; Infinity sends everything at time 0. */
  rate: number;
  /** Gamma shape: 1 = Poisson (default), < 1 burstier, > 1 steadier. */
  burstiness?: number;
  seed?: number;
}

/** `n` gaps between consecutive arrivals, in ms. */
export function interArrivalTimes(n: number, opts: ArrivalOptions): Float64Array {
  const out = new Float64Array(n);
  const rate = opts.rate;
  if (!(rate > 0)) throw new RangeError(`arrival rate must be > 0 requests/s, got ${rate}`);
  if (rate === Infinity) return out;
  const k = opts.burstiness ?? 1;
  if (!(k > 0) || !Number.isFinite(k)) throw new RangeError(`burstiness must be a finite number > 0, got ${k}`);
  const rng = new Rng(opts.seed ?? 0);
  const scaleMs = 1000 / (rate * k);
  for (let i = 0; i < n; i++) out[i] = k === 1 ? rng.exponential(scaleMs) : rng.gamma(k, scaleMs);
  return out;
}

/** Arrival offsets of `n` requests from the start of the run, in ms: the first at 0, as vLLM sends it. */
export function arrivalTimes(n: number, opts: ArrivalOptions): Float64Array {
  const out = new Float64Array(n);
  if (n === 0) return out;
  const gaps = interArrivalTimes(n - 1, opts);
  for (let i = 1; i < n; i++) out[i] = out[i - 1] + gaps[i - 1];
  return out;
}
