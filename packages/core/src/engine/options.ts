/**
 * Validation at the engine's boundary. Every option a request, a context or an engine takes is
 * checked here, before any state changes, so a bad value is a typed error naming the option — never
 * a failure deep in the KV cache, a silently rounded number, or a context left busy.
 */
import { InvalidOptionError } from '../errors.js';
import type { SamplingOptions } from '../sample/index.js';

/** What `generate` / `submit` take: sampling options plus how the request ends and is tokenized. */
export interface GenerateOptions extends SamplingOptions {
  /** Most tokens to generate: a non-negative integer. Default: until end-of-generation or the context is full. */
  maxTokens?: number;
  /**
   * Generation stops when the text contains one of these (a string or an array of strings, as
   * OpenAI's `stop`); the stop string is not part of the text.
   */
  stop?: string | readonly string[];
  /** Keep generating past end-of-generation tokens (benchmarks). */
  ignoreEos?: boolean;
  /**
   * Cancels the request at any moment — queued, in prefill or decoding. The generation then ends
   * normally with `finishReason: 'abort'` and whatever was generated so far.
   */
  signal?: AbortSignal;
  /** Add BOS/EOS per the model's metadata when the prompt is text. Default true. */
  addSpecial?: boolean;
  /** Parse special-token text (e.g. `<s>`) in a text prompt. Default false. */
  parseSpecial?: boolean;
  /**
   * Log-probabilities of the model's distribution (before sampling's transformations): each
   * streamed token then carries its own `logprob` and the `logprobs` most likely alternatives
   * (0–20; 0 = the chosen token's only). Default: none.
   */
  logprobs?: number;
}

/** Validated request options with defaults applied. */
export interface ResolvedGenerateOptions {
  readonly sampling: SamplingOptions;
  /** Infinity when not limited. */
  readonly maxTokens: number;
  readonly maxTokensGiven: boolean;
  readonly stop: readonly string[];
  readonly ignoreEos: boolean;
  readonly signal: AbortSignal | undefined;
  readonly addSpecial: boolean;
  readonly parseSpecial: boolean;
  /** -1 when not requested. */
  readonly logprobs: number;
}

export const MAX_LOGPROBS = 20;
/** OpenAI allows 4; llama.cpp and vLLM take more. Enough for any template's stop set. */
const MAX_STOP_STRINGS = 64;
const MAX_STOP_LENGTH = 1024;

export function isPlainOptions(o: unknown): boolean {
  return typeof o === 'object' && o !== null && !Array.isArray(o);
}

export function optionalBoolean(name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new InvalidOptionError(name, 'a boolean', v);
  return v;
}

/** A non-negative (or positive, with `min` 1) safe integer, or the fallback when undefined. */
export function optionalInteger(name: string, v: unknown, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? (min === 0 ? 'a non-negative integer' : `an integer >= ${min}`) : `an integer in [${min}, ${max}]`;
    throw new InvalidOptionError(name, range, v);
  }
  return v;
}

function resolveStop(v: unknown): readonly string[] {
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list)) throw new InvalidOptionError('stop', 'a string or an array of strings', v);
  if (list.length > MAX_STOP_STRINGS) throw new InvalidOptionError('stop', `at most ${MAX_STOP_STRINGS} strings`, v);
  for (const s of list) {
    if (typeof s !== 'string' || s.length === 0 || s.length > MAX_STOP_LENGTH) {
      throw new InvalidOptionError('stop', `non-empty strings of at most ${MAX_STOP_LENGTH} characters`, s);
    }
  }
  return [...list] as string[];
}

function resolveSignal(v: unknown): AbortSignal | undefined {
  if (v === undefined) return undefined;
  const s = v as AbortSignal;
  if (typeof s !== 'object' || s === null || typeof s.aborted !== 'boolean' || typeof s.addEventListener !== 'function') {
    throw new InvalidOptionError('signal', 'an AbortSignal', v);
  }
  return s;
}

/** Checks a request's options (the sampler checks the sampling ones when it is built). */
export function resolveGenerateOptions(o: unknown): ResolvedGenerateOptions {
  if (o === undefined) o = {};
  if (!isPlainOptions(o)) throw new InvalidOptionError('options', 'an object', o);
  const opts = o as GenerateOptions;
  const maxTokensGiven = opts.maxTokens !== undefined;
  return {
    sampling: opts,
    maxTokens: maxTokensGiven ? optionalInteger('maxTokens', opts.maxTokens, 0) : Infinity,
    maxTokensGiven,
    stop: resolveStop(opts.stop),
    ignoreEos: optionalBoolean('ignoreEos', opts.ignoreEos, false),
    signal: resolveSignal(opts.signal),
    addSpecial: optionalBoolean('addSpecial', opts.addSpecial, true),
    parseSpecial: optionalBoolean('parseSpecial', opts.parseSpecial, false),
    logprobs: opts.logprobs === undefined ? -1 : optionalInteger('logprobs', opts.logprobs, 0, 0, MAX_LOGPROBS),
  };
}
