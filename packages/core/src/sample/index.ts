export { Sampler, greedy } from './sampler.js';
export { StopStringMatcher } from './stop.js';
export {
  SamplingOptionsError,
  resolveSamplingOptions,
  DEFAULT_MIN_P,
  DEFAULT_PENALTY_LAST_N,
  DEFAULT_TEMPERATURE,
  DEFAULT_TOP_K,
  DEFAULT_TOP_P,
} from './options.js';
export type { SamplingOptions, ResolvedSamplingOptions } from './options.js';
export { CandidateSet } from './candidates.js';
export { PenaltyWindow, type PenaltyParams } from './penalties.js';
export { Xoshiro128 } from './rng.js';
export { selectTop, sortInPlace } from './select.js';
