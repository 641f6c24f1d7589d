/**
 * A context owns one sequence's KV cache and the forward pass's scratch, both carved from the
 * model's arena once. `generate` streams tokens with a timestamp each; `evaluate` runs
 * teacher-forced batches for logits (eval, perplexity).
 */
import { PagedKVCache, type GcConfig, type KVCacheStats } from '@legato/kvcache';
import { Sampler, StopStringMatcher, type SamplingOptions } from '../sample/index.js';
import { LlamaForward } from '../model/forward.js';
import { ContiguousKVCache, type KVCache } from '../model/kv-cache.js';
import { PagedSequenceKV } from '../model/paged-kv-cache.js';
import { ContextBusyError, ContextOverflowError, DisposedError } from './errors.js';
import type { LlamaModel } from './model.js';
import { summarizeTimings, type GenerationTimings } from './timings.js';

export interface ContextOptions {
  /** Positions the KV cache holds (prompt + generated). Default: the model's training context, at most 4096. */
  contextSize?: number;
  /** Most tokens one forward pass processes; longer prompts are prefilled in micro-batches. Default 512. */
  batchSize?: number;
  /**
   * 'paged' (default): K/V in fixed-size blocks from a pool, with prefix caching and a garbage
   * collector (vLLM's PagedAttention). 'contiguous': one preallocated run per layer.
   */
  kvCache?: 'paged' | 'contiguous';
  /** Token slots per KV block: 8, 16 or 32. Default 16. */
  blockSize?: number;
  /** Bytes of KV block pool. Default: room for the context twice over (so a finished prompt stays cached). */
  kvMemoryBytes?: number;
  /** The KV cache's garbage collector. Default `{ policy: 'eager' }`. */
  gc?: GcConfig;
  /** Reuse the KV blocks of an earlier generation's identical prompt prefix. Default true. */
  prefixCaching?: boolean;
}

export interface GenerateOptions extends SamplingOptions {
  /** Most tokens to generate. Default: until EOS or the context is full. */
  maxTokens?: number;
  /** Generation stops when the text contains one of these; the stop string is not part of the text. */
  stop?: readonly string[];
  /** Keep generating past end-of-generation tokens (benchmarks). */
  ignoreEos?: boolean;
  /** Honoured between tokens and between prefill micro-batches. */
  signal?: AbortSignal;
  /** Add BOS/EOS per the model's metadata when the prompt is text. Default true. */
  addSpecial?: boolean;
  /** Parse special-token text (e.g. `<s>`) in a text prompt. Default false. */
  parseSpecial?: boolean;
}

export interface GeneratedToken {
  readonly id: number;
  /** Text this token completes; '' while a multi-byte character is still incomplete or a stop string may be starting. */
  readonly text: string;
  /** 0-based index among generated tokens. */
  readonly index: number;
  /** `performance.now()` when the token was emitted. */
  readonly time: number;
}

export type FinishReason = 'eos' | 'stop' | 'length' | 'context' | 'abort';

export interface GenerationResult {
  readonly promptIds: number[];
  readonly ids: number[];
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly timings: GenerationTimings;
  /** Prompt tokens whose K/V came from the prefix cache instead of being computed. */
  readonly cachedPromptTokens: number;
  /** The paged cache's statistics when the generation ended (undefined for a contiguous cache). */
  readonly kvCache?: KVCacheStats;
}

export interface EvaluateOptions {
  signal?: AbortSignal;
  /** Called for every position with the logits of the next token (a view valid only during the call). */
  onLogits: (pos: number, logits: Float32Array) => void;
}

/** The streaming handle `generate` returns: iterate it for tokens, or await `result()`. */
export class Generation implements AsyncIterable<GeneratedToken> {
  private final: GenerationResult | undefined;
  constructor(private readonly it: AsyncGenerator<GeneratedToken, GenerationResult>) {}

  [Symbol.asyncIterator](): AsyncIterator<GeneratedToken> {
    return {
      next: async () => {
        const r = await this.it.next();
        if (r.done) {
          this.final = r.value;
          return { done: true, value: undefined };
        }
        return r;
      },
      return: async () => {
        const r = await this.it.return(undefined as never);
        if (r.done && r.value) this.final = r.value;
        return { done: true, value: undefined };
      },
    };
  }

  /** Runs to the end (if not already) and returns ids, text, finish reason and timings. */
  async result(): Promise<GenerationResult> {
    while (!this.final) {
      const r = await this.it.next();
      if (r.done) this.final = r.value;
    }
    return this.final;
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class LlamaContext {
  readonly contextSize: number;
  readonly batchSize: number;
  private readonly forward: LlamaForward;
  /** The contiguous cache, when that layout was chosen. */
  private readonly contiguous: ContiguousKVCache | undefined;
  /** The block pool, when the paged layout was chosen (the default). */
  readonly kvPool: PagedKVCache | undefined;
  private readonly regions: number[] = [];
  private readonly step = new Int32Array(1);
  private disposed = false;
  private busy = false;

  constructor(
    readonly model: LlamaModel,
    options: ContextOptions,
    private readonly onDispose: () => void,
  ) {
    const c = model.config;
    this.contextSize = options.contextSize ?? Math.min(c.trainContext, 4096);
    if (!Number.isInteger(this.contextSize) || this.contextSize < 2) throw new RangeError(`contextSize must be an integer >= 2, got ${options.contextSize}`);
    this.batchSize = Math.min(options.batchSize ?? 512, this.contextSize);
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${options.batchSize}`);
    const arena = model.arena;
    if (options.kvCache === 'contiguous') {
      const kv = arena.allocF32(ContiguousKVCache.floatsNeeded(c.nLayers, this.contextSize, c.kvDim));
      this.regions.push(kv.byteOffset);
      this.contiguous = new ContiguousKVCache(kv, c.nLayers, this.contextSize, c.kvDim);
    } else {
      const blockSize = options.blockSize ?? 16;
      const bytesPerToken = 2 * c.nLayers * c.kvDim * 4;
      const memoryBytes = options.kvMemoryBytes ?? 2 * Math.ceil(this.contextSize / blockSize) * blockSize * bytesPerToken;
      this.kvPool = new PagedKVCache({
        layers: c.nLayers,
        kvHeads: c.nKVHeads,
        headDim: c.headDim,
        blockSize,
        memoryBytes,
        gc: options.gc,
        prefixCaching: options.prefixCaching ?? true,
        storage: (n) => {
          const at = arena.alloc(n);
          this.regions.push(at);
          return { buffer: arena.buffer, byteOffset: at, byteLength: n, zeroed: true };
        },
      });
    }
    this.forward = new LlamaForward(c, model.weights, model.backend, arena, { maxBatch: this.batchSize, maxContext: this.contextSize });
  }

  /**
   * Streams a completion of `prompt` (text, or token ids used as-is).
   * @example
   * for await (const t of ctx.generate('Once upon a time', { maxTokens: 32, temperature: 0 })) process.stdout.write(t.text);
   */
  generate(prompt: string | readonly number[], options: GenerateOptions = {}): Generation {
    this.check();
    const promptIds = typeof prompt === 'string'
      ? this.model.tokenizer.encode(prompt, { addSpecial: options.addSpecial ?? true, parseSpecial: options.parseSpecial ?? false })
      : [...prompt];
    if (promptIds.length === 0) throw new RangeError('the prompt is empty (no tokens to start from)');
    if (promptIds.length >= this.contextSize) throw new ContextOverflowError(promptIds.length, this.contextSize);
    for (const id of promptIds) {
      if (!Number.isInteger(id) || id < 0 || id >= this.model.config.vocabSize) throw new RangeError(`prompt token id ${id} is outside the vocabulary (0..${this.model.config.vocabSize - 1})`);
    }
    const sampler = new Sampler(this.model.config.vocabSize, options); // validates options now, not mid-stream
    return new Generation(this.run(promptIds, sampler, options));
  }

  /** Teacher-forced logits for every position of `ids` (from position 0). */
  async evaluate(ids: readonly number[], options: EvaluateOptions): Promise<void> {
    this.check();
    if (ids.length > this.contextSize) throw new ContextOverflowError(ids.length, this.contextSize);
    this.enter();
    try {
      const V = this.model.config.vocabSize;
      // Every position's logits are wanted, so nothing may come from the prefix cache.
      const kv = this.contiguous ?? new PagedSequenceKV(this.kvPool!, this.kvPool!.createSequence(), this.contextSize);
      try {
        for (let start = 0; start < ids.length; start += this.batchSize) {
          options.signal?.throwIfAborted();
          const n = Math.min(this.batchSize, ids.length - start);
          const all = this.forward.run(ids.slice(start, start + n), n, start, kv, true);
          for (let t = 0; t < n; t++) options.onLogits(start + t, all.subarray(t * V, (t + 1) * V));
          await turn();
        }
      } finally {
        this.closeSequence(kv);
      }
    } finally {
      this.busy = false;
    }
  }

  private async *run(promptIds: number[], sampler: Sampler, o: GenerateOptions): AsyncGenerator<GeneratedToken, GenerationResult> {
    this.enter();
    const tok = this.model.tokenizer;
    const start = performance.now();
    const maxTokens = Math.min(o.maxTokens ?? Infinity, this.contextSize - promptIds.length);
    const times = new Float64Array(Math.min(maxTokens, this.contextSize));
    const ids: number[] = [];
    const decoder = tok.createStreamingDecoder();
    const stops = new StopStringMatcher(o.stop ?? []);
    let text = '';
    let finishReason: FinishReason = 'length';
    let prefillEnd = start;
    let cached = 0;
    let kvStats: KVCacheStats | undefined;
    const kv = this.openSequence(promptIds);
    const pool = this.kvPool;
    try {
      cached = this.cachedLength(kv);
      for (const id of promptIds) sampler.accept(id);
      // Prefill what the prefix cache did not supply, in micro-batches; the event loop turns
      // between them so an abort can land.
      for (let s = cached; s < promptIds.length; s += this.batchSize) {
        o.signal?.throwIfAborted();
        const n = Math.min(this.batchSize, promptIds.length - s);
        this.forward.run(promptIds.slice(s, s + n), n, s, kv);
        if (s + n < promptIds.length) await turn();
      }
      const seq = kv instanceof PagedSequenceKV ? kv.seq : -1;
      const tokens = seq >= 0 ? new Int32Array(this.contextSize) : undefined;
      if (tokens) {
        for (let i = 0; i < promptIds.length; i++) tokens[i] = promptIds[i];
        pool!.commitTokens(seq, tokens, promptIds.length);
      }
      prefillEnd = performance.now();
      let pos = promptIds.length;
      const step = this.step;
      for (;;) {
        if (ids.length >= maxTokens) {
          finishReason = ids.length >= this.contextSize - promptIds.length && o.maxTokens === undefined ? 'context' : 'length';
          break;
        }
        const id = sampler.sample(this.forward.logits);
        if (!o.ignoreEos && tok.isEog(id)) {
          finishReason = 'eos';
          break;
        }
        sampler.accept(id);
        const piece = decoder.push(id);
        const { emit, stopped } = stops.push(piece);
        const time = performance.now();
        times[ids.length] = time;
        ids.push(id);
        text += emit;
        yield { id, text: emit, index: ids.length - 1, time };
        if (stopped) {
          finishReason = 'stop';
          break;
        }
        if (o.signal?.aborted) {
          finishReason = 'abort';
          break;
        }
        if (ids.length >= maxTokens) continue;
        step[0] = id;
        if (tokens) tokens[pos] = id;
        this.forward.run(step, 1, pos++, kv);
        if (tokens) {
          pool!.commitTokens(seq, tokens, pos);
          pool!.step();
        }
        await turn();
        if (o.signal?.aborted) {
          finishReason = 'abort';
          break;
        }
      }
      if (finishReason !== 'stop') text += stops.push(decoder.flush()).emit + stops.flush();
    } finally {
      this.closeSequence(kv);
      kvStats = pool?.stats();
      this.busy = false;
    }
    return {
      promptIds,
      ids,
      text,
      finishReason,
      timings: summarizeTimings(start, prefillEnd, promptIds.length, times.subarray(0, ids.length)),
      cachedPromptTokens: cached,
      kvCache: kvStats,
    };
  }

  /** A fresh sequence for `prompt`: its KV view and how many prompt tokens are already cached. */
  private openSequence(prompt: readonly number[]): KVCache {
    if (this.contiguous) {
      this.contiguous.truncate(0);
      return this.contiguous;
    }
    const pool = this.kvPool!;
    const seq = pool.createSequence({ promptTokens: prompt });
    return new PagedSequenceKV(pool, seq, this.contextSize);
  }

  private cachedLength(kv: KVCache): number {
    return kv instanceof PagedSequenceKV ? kv.length : 0;
  }

  private closeSequence(kv: KVCache): void {
    if (kv instanceof PagedSequenceKV) kv.dispose();
  }

  private enter(): void {
    if (this.busy) throw new ContextBusyError();
    this.busy = true;
  }

  private check(): void {
    if (this.disposed) throw new DisposedError('context');
    if (this.model.isDisposed) throw new DisposedError('model');
  }

  /** Returns the KV cache and scratch to the model's arena. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const r of this.regions) this.model.arena.free(r);
    this.regions.length = 0;
    this.forward.dispose();
    this.onDispose();
  }
}
