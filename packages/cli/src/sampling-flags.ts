/**
 * The flags that choose how tokens are sampled and where they are computed, shared by the commands
 * that generate (run, chat) and by everything that opens a model (--backend). Imports nothing
 * heavy: argument checks must load no model code.
 */
import { floatOption, intOption, UsageError } from './usage.js';

/** parseArgs options for llama.cpp's sampling flags. */
export const SAMPLING_FLAGS = {
  temp: { type: 'string' },
  seed: { type: 'string' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  'min-p': { type: 'string' },
  'repeat-penalty': { type: 'string' },
} as const;

type SamplingFlagValues = { temp?: string; seed?: string; 'top-k'?: string; 'top-p'?: string; 'min-p'?: string; 'repeat-penalty'?: string };

/** The sampling options the flags ask for (undefined where a flag was not given: core's defaults apply). */
export function samplingFromFlags(values: SamplingFlagValues) {
  return {
    temperature: floatOption('--temp', values.temp, { min: 0 }),
    seed: intOption('--seed', values.seed),
    topK: intOption('--top-k', values['top-k']),
    topP: floatOption('--top-p', values['top-p'], { min: 0, max: 1 }),
    minP: floatOption('--min-p', values['min-p'], { min: 0, max: 1 }),
    repeatPenalty: floatOption('--repeat-penalty', values['repeat-penalty'], { min: 0 }),
  };
}

export type BackendFlag = 'auto' | 'wasm' | 'reference';

/** --backend checked: auto, wasm or reference (undefined when not given). */
export function backendFlag(backend: string | undefined): BackendFlag | undefined {
  if (backend !== undefined && backend !== 'auto' && backend !== 'wasm' && backend !== 'reference') {
    throw new UsageError(`--backend must be auto, wasm or reference, got "${backend}"`);
  }
  return backend;
}
