/** What one request carries through the engine: its tokens, its KV sequence, its output so far. */
import type { Sampler, StopStringMatcher } from '../sample/index.js';
import type { SequenceKV } from '../model/paged-kv-cache.js';
import type { StreamingDetokenizer } from '../tokenizer/index.js';
import type { Generation } from './generation.js';
import type { ResolvedGenerateOptions } from './options.js';

export class Request {
  /** Prompt + generated ids (what the KV cache must hold), for prefix hashing and recompute. */
  readonly tokens: Int32Array;
  nTokens: number;
  /** Positions whose K/V are computed. */
  computed = 0;
  kv: SequenceKV | undefined;
  /** The last sampled token, not yet fed back (−1 before the first). */
  last = -1;
  readonly generated: number[] = [];
  text = '';
  readonly times: Float64Array;
  admission = NaN;
  prefillEnd = NaN;
  cachedPromptTokens = 0;
  preemptions = 0;
  /** Set by cancel() or seen on the signal; the engine ends the request before its next step. */
  cancelRequested = false;

  constructor(
    readonly id: number,
    readonly generation: Generation,
    readonly prompt: number[],
    readonly options: ResolvedGenerateOptions,
    /** Tokens this request may generate: `maxTokens`, bounded by the context. */
    readonly maxTokens: number,
    readonly sampler: Sampler,
    readonly decoder: StreamingDetokenizer,
    readonly stops: StopStringMatcher,
    readonly arrival: number,
    contextSize: number,
  ) {
    this.tokens = new Int32Array(contextSize);
    this.tokens.set(prompt);
    this.nTokens = prompt.length;
    this.times = new Float64Array(Math.min(maxTokens, contextSize));
  }

  /** Whether the prompt (and any recomputed output) is computed and the next step decodes. */
  get decoding(): boolean {
    return this.last >= 0 && this.computed >= this.nTokens - 1;
  }

  get wantsCancel(): boolean {
    return this.cancelRequested || this.options.signal?.aborted === true;
  }
}
