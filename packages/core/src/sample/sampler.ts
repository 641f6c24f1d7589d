/**
 * The sampler chain, in llama.cpp's `common_sampler` default order:
 * logit bias → penalties → top-k → top-p → min-p → temperature → draw.
 * Created once per generation; every buffer is allocated up front so `sample()` allocates nothing.
 */
import { CandidateSet } from './candidates.js';
import { resolveSamplingOptions, type ResolvedSamplingOptions, type SamplingOptions } from './options.js';
import { PenaltyWindow } from './penalties.js';
import { Xoshiro128 } from './rng.js';

/** Index of the largest entry that is not NaN or -Infinity (ties → lowest index), or -1 if none. */
function argmax(logits: Float32Array): number {
  let best = -1;
  let bestLogit = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i] > bestLogit) {
      bestLogit = logits[i];
      best = i;
    }
  }
  return best;
}

/** Greedy decoding: the id of the highest logit, ties → lowest id. NaN entries are ignored. */
export function greedy(logits: Float32Array): number {
  const best = argmax(logits);
  if (best < 0) throw new RangeError('greedy: no logit above -Infinity');
  return best;
}

/**
 * One generation's sampler. Create it with the vocab size, `accept()` the prompt tokens (for the
 * penalties), then per step `id = sample(logits)` followed by `accept(id)`.
 *
 * Differences from llama.cpp, by design: ties always resolve to the lower token id, and the
 * random stream is xoshiro128** rather than mt19937, so a seed reproduces Legato's own output,
 * not llama.cpp's.
 */
export class Sampler {
  /** The effective seed: the one given, or the random one chosen when none was. */
  readonly seed: number;
  private readonly opts: ResolvedSamplingOptions;
  /** Working copy of the caller's logits, indexed by token id. */
  private readonly work: Float32Array;
  private readonly candidates: CandidateSet;
  private readonly penalties: PenaltyWindow;
  private rng: Xoshiro128;

  /** @throws SamplingOptionsError for an invalid option or vocab size. */
  constructor(
    readonly vocabSize: number,
    opts?: SamplingOptions,
  ) {
    this.opts = resolveSamplingOptions(vocabSize, opts);
    this.seed = this.opts.seed;
    this.work = new Float32Array(vocabSize);
    this.candidates = new CandidateSet(this.opts.temperature > 0 ? vocabSize : 0);
    this.penalties = new PenaltyWindow(vocabSize, this.opts.penaltyLastN);
    this.rng = new Xoshiro128(this.seed);
  }

  /**
   * Picks the next token id from `logits` (length `vocabSize`, left untouched). Does not record
   * the pick: call {@link accept} with the token actually appended.
   * @throws Error when every token is banned (logit bias -Infinity) or the logits are all NaN.
   */
  sample(logits: Float32Array): number {
    if (logits.length !== this.vocabSize) {
      throw new RangeError(`Sampler.sample: expected ${this.vocabSize} logits, got ${logits.length}`);
    }
    const o = this.opts;
    const work = this.work;
    work.set(logits);
    for (let i = 0; i < o.biasIds.length; i++) work[o.biasIds[i]] += o.biasValues[i];
    this.penalties.apply(work, o);

    let id: number;
    if (o.temperature <= 0) {
      // Every truncation keeps the best candidate, so greedy over the full list is the same pick.
      id = argmax(work);
    } else {
      const c = this.candidates;
      c.load(work, o.topK);
      c.keepTopP(o, 1);
      c.keepMinP(o);
      id = c.pick(this.rng, o);
    }
    if (id < 0) throw new Error('Sampler.sample: no token can be sampled (all banned or NaN)');
    return id;
  }

  /** Records an accepted token (prompt tokens too) for the penalties. */
  accept(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new RangeError(`Sampler.accept: token id ${id} outside [0, ${this.vocabSize})`);
    }
    this.penalties.accept(id);
  }

  /** Forgets accepted tokens and restarts the random stream from `seed`. */
  reset(): void {
    this.penalties.reset();
    this.rng = new Xoshiro128(this.seed);
  }
}
