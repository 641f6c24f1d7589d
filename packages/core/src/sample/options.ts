/**
 * User-facing sampling options and their validation. Defaults follow llama.cpp's
 * `common_params_sampling`, so a user coming from llama.cpp gets the same behaviour.
 */
import { InvalidOptionError, previewValue } from '../errors.js';

/** Options for {@link Sampler}. Every field is optional; see each for its default. */
export interface SamplingOptions {
  /** Softmax temperature. Default 0.8. `<= 0` means greedy (argmax, ties → lowest id). */
  temperature?: number;
  /** Keep the `topK` most likely tokens. Default 40. `<= 0` disables. */
  topK?: number;
  /** Nucleus sampling: keep the smallest set whose probability mass reaches `topP`. Default 0.95, in (0, 1]; 1 disables. */
  topP?: number;
  /** Keep tokens with `p >= minP * p_max`. Default 0.05, in [0, 1]; 0 disables. */
  minP?: number;
  /** Repetition penalty (CTRL, with llama.cpp's fix for negative logits). Default 1 (off); must be > 0. */
  repeatPenalty?: number;
  /** Subtracted `count` times from the logit of a token seen `count` times in the window. Default 0 (off). */
  frequencyPenalty?: number;
  /** Subtracted once from the logit of any token seen in the window. Default 0 (off). */
  presencePenalty?: number;
  /** How many of the most recently accepted tokens the penalties look at. Default 64; 0 disables penalties. */
  penaltyLastN?: number;
  /** Added to the logit of each listed token id before anything else; `-Infinity` bans the token. */
  logitBias?: Record<number, number> | Map<number, number>;
  /** PRNG seed (a safe integer). Default: random; the chosen seed is exposed as `Sampler.seed`. */
  seed?: number;
}

/**
 * Thrown for an invalid sampling option; the message names the option, and `option` holds its name
 * (the first word of the message). An {@link InvalidOptionError}, so one `catch` covers every option.
 */
export class SamplingOptionsError extends InvalidOptionError {
  constructor(message: string) {
    super(/^[A-Za-z]+/.exec(message)?.[0] ?? 'options', '', undefined);
    this.message = message;
    this.name = 'SamplingOptionsError';
  }
}

/** Validated options with defaults applied; the logit bias flattened into parallel typed arrays. */
export interface ResolvedSamplingOptions {
  readonly temperature: number;
  /** 0 when disabled. */
  readonly topK: number;
  readonly topP: number;
  readonly minP: number;
  readonly repeatPenalty: number;
  readonly frequencyPenalty: number;
  readonly presencePenalty: number;
  readonly penaltyLastN: number;
  readonly biasIds: Int32Array;
  readonly biasValues: Float32Array;
  readonly seed: number;
}

export const DEFAULT_TEMPERATURE = 0.8;
export const DEFAULT_TOP_K = 40;
export const DEFAULT_TOP_P = 0.95;
export const DEFAULT_MIN_P = 0.05;
export const DEFAULT_PENALTY_LAST_N = 64;

function numberOption(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new SamplingOptionsError(`${name} must be a number, got ${previewValue(value)}`);
  }
  return value;
}

function finiteOption(name: string, value: unknown, fallback: number): number {
  const v = numberOption(name, value, fallback);
  if (!Number.isFinite(v)) throw new SamplingOptionsError(`${name} must be finite, got ${v}`);
  return v;
}

function integerOption(name: string, value: unknown, fallback: number): number {
  const v = numberOption(name, value, fallback);
  if (!Number.isSafeInteger(v)) throw new SamplingOptionsError(`${name} must be an integer, got ${v}`);
  return v;
}

function randomSeed(): number {
  const webCrypto = (globalThis as { crypto?: { getRandomValues(a: Uint32Array): Uint32Array } }).crypto;
  if (webCrypto) return webCrypto.getRandomValues(new Uint32Array(1))[0];
  return Math.floor(Math.random() * 0x1_0000_0000);
}

function resolveLogitBias(
  vocabSize: number,
  bias: SamplingOptions['logitBias'],
): { biasIds: Int32Array; biasValues: Float32Array } {
  if (bias === undefined) return { biasIds: new Int32Array(0), biasValues: new Float32Array(0) };
  if (typeof bias !== 'object' || bias === null) {
    throw new SamplingOptionsError('logitBias must be a Map or a plain object of token id → bias');
  }
  const entries: [unknown, unknown][] =
    bias instanceof Map ? [...bias.entries()] : Object.entries(bias as Record<string, unknown>);
  const biasIds = new Int32Array(entries.length);
  const biasValues = new Float32Array(entries.length);
  entries.forEach(([key, value], i) => {
    // Object keys arrive as strings; only canonical integer spellings are token ids.
    const id = typeof key === 'string' && /^(0|[1-9][0-9]*)$/.test(key) ? Number(key) : key;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new SamplingOptionsError(
        `logitBias key ${previewValue(key)} is not a token id (an integer in [0, ${vocabSize}))`,
      );
    }
    if (typeof value !== 'number' || Number.isNaN(value) || value === Infinity) {
      throw new SamplingOptionsError(
        `logitBias[${id}] must be a finite number or -Infinity, got ${previewValue(value)}`,
      );
    }
    biasIds[i] = id;
    biasValues[i] = value;
  });
  return { biasIds, biasValues };
}

/** Applies defaults and validates; throws {@link SamplingOptionsError} naming the offending option. */
export function resolveSamplingOptions(vocabSize: number, opts: SamplingOptions = {}): ResolvedSamplingOptions {
  if (!Number.isSafeInteger(vocabSize) || vocabSize <= 0) {
    throw new SamplingOptionsError(`vocabSize must be a positive integer, got ${vocabSize}`);
  }
  const temperature = finiteOption('temperature', opts.temperature, DEFAULT_TEMPERATURE);
  const topK = integerOption('topK', opts.topK, DEFAULT_TOP_K);
  const topP = numberOption('topP', opts.topP, DEFAULT_TOP_P);
  if (!(topP > 0 && topP <= 1)) throw new SamplingOptionsError(`topP must be in (0, 1], got ${topP}`);
  const minP = numberOption('minP', opts.minP, DEFAULT_MIN_P);
  if (!(minP >= 0 && minP <= 1)) throw new SamplingOptionsError(`minP must be in [0, 1], got ${minP}`);
  const repeatPenalty = finiteOption('repeatPenalty', opts.repeatPenalty, 1);
  if (!(repeatPenalty > 0)) throw new SamplingOptionsError(`repeatPenalty must be > 0, got ${repeatPenalty}`);
  // Negative frequency/presence penalties are legal (they encourage repetition), as in llama.cpp and OpenAI.
  const frequencyPenalty = finiteOption('frequencyPenalty', opts.frequencyPenalty, 0);
  const presencePenalty = finiteOption('presencePenalty', opts.presencePenalty, 0);
  const penaltyLastN = integerOption('penaltyLastN', opts.penaltyLastN, DEFAULT_PENALTY_LAST_N);
  if (penaltyLastN < 0) {
    throw new SamplingOptionsError(
      `penaltyLastN must be >= 0 (pass the context length instead of llama.cpp's -1), got ${penaltyLastN}`,
    );
  }
  const seed = opts.seed === undefined ? randomSeed() : integerOption('seed', opts.seed, 0);
  return {
    temperature,
    topK: topK > 0 ? topK : 0,
    topP,
    minP,
    repeatPenalty,
    frequencyPenalty,
    presencePenalty,
    penaltyLastN,
    ...resolveLogitBias(vocabSize, opts.logitBias),
    seed,
  };
}
