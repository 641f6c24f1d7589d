/**
 * The engine: the one place a request runs. Many requests share one model, one paged KV pool and
 * one forward pass per step (continuous batching, as vLLM does it). Each step the scheduler picks
 * the batch, the model runner computes it and samples, the output processor turns ids into text
 * and decides who is done. A `LlamaContext` is a one-sequence engine, so every guarantee here —
 * validation at the boundary, abort at any moment, no leaked blocks, typed errors on dispose —
 * holds for both.
 */
import { KVCacheOutOfBlocksError, PagedKVCache, type GcConfig, type GcEvent, type KVCacheStats } from '@legato/kvcache';
import { Sampler, StopStringMatcher } from '../sample/index.js';
import { InvalidOptionError } from '../errors.js';
import { ContextOverflowError, DisposedError } from './errors.js';
import { Generation, type FinishReason, type GenerationResult } from './generation.js';
import { ModelRunner, type SampledToken } from './model-runner.js';
import type { LlamaModel } from './model.js';
import { isPlainOptions, optionalInteger, resolveGenerateOptions, type GenerateOptions } from './options.js';
import { OutputProcessor } from './output-processor.js';
import { Request } from './request.js';
import { Scheduler } from './scheduler.js';
import { SinglePool, type KVPools } from '../model/paged-kv-cache.js';
import { HybridKVPools, hasSlidingWindowGroup } from '../model/hybrid-kv-cache.js';
import { resolveKVType } from '../model/kv-type-option.js';
import { kvBytesPerToken } from '../model/kv-cache.js';
import type { KVType } from '@legato/quant';
import { nextTurn } from '#platform/turn';

/** What the engine tells an observer (a metrics collector) as it works; ids are request ids. */
export interface EngineObserver {
  onRequestArrival?(id: number, time: number, promptTokens: number): void;
  onAdmission?(id: number, time: number): void;
  onPrefill?(start: number, end: number, tokens: number, id: number): void;
  onToken?(id: number, time: number, tokens: number): void;
  onFinish?(id: number, time: number, reason: FinishReason | 'error'): void;
  onStep?(g: EngineStepGauges): void;
  onKvGc?(ev: GcEvent): void;
}

/** Sampled after every step. The same object is refilled each time: copy what you keep. */
export interface EngineStepGauges {
  time: number;
  kvBlocksUsed: number;
  kvBlocksCached: number;
  kvBlocksFree: number;
  kvUtilisation: number;
  waiting: number;
  running: number;
  stepTokens: number;
}

export interface EngineOptions {
  /** Longest sequence (prompt + output). Default: the model's training context, at most 4096. */
  contextSize?: number;
  /** Most sequences running at once (vLLM's max-num-seqs). Default 8. */
  maxSequences?: number;
  /** Token budget per step, decode tokens first, then prefill chunks (max-num-batched-tokens). Default 256. */
  maxBatchTokens?: number;
  /** Token slots per KV block: 8, 16 or 32. Default 16. */
  blockSize?: number;
  /** Bytes of KV block pool. Default: every sequence at full context. */
  kvMemoryBytes?: number;
  /**
   * Element type of the cached K and V rows (llama.cpp's `-ctk/-ctv`): 'f16' (default, as in
   * llama.cpp), 'f32', or 'q8_0' (ggml's 8-bit blocks; needs a head size that is a multiple of 32).
   */
  kvType?: KVType;
  /** The KV cache's garbage collector. Default `{ policy: 'eager' }`. */
  gc?: GcConfig;
  /** Reuse the KV blocks of identical prompt prefixes across requests. Default true. */
  prefixCaching?: boolean;
  /**
   * Models with sliding-window layers (Gemma 2, Gemma 3): keep those layers in a pool of their own
   * that releases the blocks fallen out of the window (vLLM v1's hybrid allocator). Default true;
   * false keeps every layer of every position in one pool. No effect on other models.
   */
  slidingWindowPool?: boolean;
  observer?: EngineObserver;
}

/** The default context: the model's training context, at most 4096 positions. */
export function defaultContextSize(model: LlamaModel): number {
  return Math.max(2, Math.min(model.config.trainContext, 4096));
}

const turn = nextTurn; // setImmediate, or a MessageChannel task in browsers (src/platform/turn.*.ts)

/** @deprecated the result type is {@link GenerationResult}. */
export type EngineRequestResult = GenerationResult;

export class InferenceEngine {
  readonly contextSize: number;
  readonly maxSequences: number;
  readonly maxBatchTokens: number;
  /**
   * The KV block pool (its `audit()` and `stats()` are for observers and tests); with a
   * sliding-window pool, the pool of the global layers.
   */
  readonly pool: PagedKVCache;
  /** The sliding-window layers' pool when the model has them (see `slidingWindowPool`). */
  readonly swaPool: PagedKVCache | undefined;
  private readonly kvPools: KVPools;
  private readonly runner: ModelRunner;
  private readonly scheduler: Scheduler;
  private readonly output: OutputProcessor;
  private readonly observer: EngineObserver | undefined;
  private readonly regions: number[] = [];
  private readonly gauges: EngineStepGauges = { time: 0, kvBlocksUsed: 0, kvBlocksCached: 0, kvBlocksFree: 0, kvUtilisation: 0, waiting: 0, running: 0, stepTokens: 0 };
  private readonly stats: KVCacheStats;
  private readonly sampled: SampledToken = { id: 0, logprob: undefined, topLogprobs: undefined };
  private nextId = 1;
  private looping: Promise<void> | undefined;
  private disposed = false;
  private disposeReason: string = 'engine';
  private readonly unsubscribeGc: () => void;
  /** @internal called when a request ends, however it ends (a context clears its busy flag). */
  onRequestEnd: ((id: number) => void) | undefined;

  constructor(readonly model: LlamaModel, options: EngineOptions = {}) {
    if (model.isDisposed) throw new DisposedError('model');
    if (!isPlainOptions(options)) throw new InvalidOptionError('options', 'an object', options);
    const c = model.config;
    this.contextSize = optionalInteger('contextSize', options.contextSize, defaultContextSize(model), 2);
    this.maxSequences = optionalInteger('maxSequences', options.maxSequences, 8, 1, 4096);
    this.maxBatchTokens = Math.max(optionalInteger('maxBatchTokens', options.maxBatchTokens, 256, 1, 1 << 16), this.maxSequences);
    const blockSize = optionalInteger('blockSize', options.blockSize, 16, 1);
    if (blockSize !== 8 && blockSize !== 16 && blockSize !== 32) throw new InvalidOptionError('blockSize', '8, 16 or 32', blockSize);
    const kvType = resolveKVType(options.kvType, c.headDim);
    const bytesPerToken = kvBytesPerToken(c.nLayers, c.kvDim, kvType);
    const blocksPerSeq = Math.ceil(this.contextSize / blockSize);
    const kvMemoryBytes = optionalInteger('kvMemoryBytes', options.kvMemoryBytes, this.maxSequences * blocksPerSeq * blockSize * bytesPerToken, 1);
    if (kvMemoryBytes < blockSize * bytesPerToken) throw new InvalidOptionError('kvMemoryBytes', `at least one block (${blockSize * bytesPerToken} bytes)`, kvMemoryBytes);
    const arena = model.arena;
    if (options.slidingWindowPool !== false && hasSlidingWindowGroup(c)) {
      const hybrid = new HybridKVPools(c, {
        blockSize, contextSize: this.contextSize, maxSequences: this.maxSequences, maxBatchTokens: this.maxBatchTokens,
        memoryBytes: options.kvMemoryBytes, gc: options.gc, prefixCaching: options.prefixCaching ?? true, kvType,
        alloc: (n) => {
          const byteOffset = arena.alloc(n);
          return { buffer: arena.buffer, byteOffset };
        },
      });
      this.regions.push(hybrid.region);
      this.kvPools = hybrid;
      this.pool = hybrid.global;
      this.swaPool = hybrid.window;
    } else {
      this.pool = new PagedKVCache({
        layers: c.nLayers,
        kvHeads: c.nKVHeads,
        headDim: c.headDim,
        blockSize,
        elementType: kvType,
        memoryBytes: kvMemoryBytes,
        gc: options.gc,
        prefixCaching: options.prefixCaching ?? true,
        storage: (n) => {
          const at = arena.alloc(n);
          this.regions.push(at);
          return { buffer: arena.buffer, byteOffset: at, byteLength: n, zeroed: true };
        },
      });
      this.kvPools = new SinglePool(this.pool);
      this.swaPool = undefined;
    }
    try {
      this.runner = new ModelRunner(model, arena, this.maxBatchTokens, this.contextSize);
    } catch (e) {
      for (const at of this.regions) arena.free(at);
      throw e;
    }
    this.stats = this.pool.stats();
    this.output = new OutputProcessor(model.tokenizer);
    this.scheduler = new Scheduler(this.kvPools, this.runner.batch, this.contextSize, this.maxSequences, this.maxBatchTokens, (r) =>
      this.observer?.onAdmission?.(r.id, r.admission),
      (r, e) => this.fail(r, e),
    );
    this.observer = options.observer;
    const obs = this.observer;
    this.unsubscribeGc = obs?.onKvGc ? this.pool.onGc((e) => obs.onKvGc!(e)) : () => undefined;
    model.registerEngine(this);
  }

  /**
   * Queues a request; tokens stream from the returned generation as the engine steps. Options and
   * the prompt are validated here, synchronously: a bad one throws (`InvalidOptionError`,
   * `ContextOverflowError`) and nothing is queued.
   * @example
   * const engine = new InferenceEngine(model, { maxSequences: 4 });
   * const a = engine.submit('Once upon a time', { maxTokens: 32 });
   * const b = engine.submit('The little dog', { maxTokens: 32 });
   * const [ra, rb] = await Promise.all([a.result(), b.result()]);
   */
  submit(prompt: string | readonly number[], options?: GenerateOptions): Generation {
    this.checkOpen();
    const o = resolveGenerateOptions(options);
    const V = this.model.config.vocabSize;
    const ids = this.promptIds(prompt, o.addSpecial, o.parseSpecial);
    const blocks = Math.ceil((ids.length + 1) / this.pool.blockSize);
    if (blocks > this.pool.numBlocks) throw new KVCacheOutOfBlocksError(blocks, this.pool.numBlocks); // could never run
    const sampler = new Sampler(V, o.sampling);
    const stops = new StopStringMatcher(o.stop);
    const id = this.nextId++;
    const maxTokens = Math.min(o.maxTokens, this.contextSize - ids.length);
    let r!: Request;
    const generation = new Generation(id, () => {
      r.cancelRequested = true;
    });
    r = new Request(id, generation, ids, o, maxTokens, sampler, this.model.tokenizer.createStreamingDecoder(), stops, performance.now(), this.contextSize);
    for (const t of ids) sampler.accept(t);
    this.observer?.onRequestArrival?.(id, r.arrival, ids.length);
    if (maxTokens === 0 || r.wantsCancel) {
      // Nothing to compute: settle on a later tick, as every other generation does.
      queueMicrotask(() => this.finish(r, maxTokens === 0 && !r.wantsCancel ? 'length' : 'abort'));
      return generation;
    }
    this.scheduler.add(r);
    this.looping ??= this.loop();
    return generation;
  }

  /** Token ids of a prompt, checked against the vocabulary and the context. */
  promptIds(prompt: string | readonly number[], addSpecial: boolean, parseSpecial: boolean): number[] {
    let ids: number[];
    if (typeof prompt === 'string') ids = this.model.tokenizer.encode(prompt, { addSpecial, parseSpecial });
    else if (Array.isArray(prompt) || ArrayBuffer.isView(prompt)) ids = Array.from(prompt as ArrayLike<number>);
    else throw new InvalidOptionError('prompt', 'a string or an array of token ids', prompt);
    if (ids.length === 0) throw new InvalidOptionError('prompt', 'at least one token', prompt);
    if (ids.length >= this.contextSize) throw new ContextOverflowError(ids.length, this.contextSize);
    const V = this.model.config.vocabSize;
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new InvalidOptionError('prompt', `token ids in [0, ${V})`, id);
    }
    return ids;
  }

  /**
   * Teacher-forced logits for every position of `ids` (from position 0) — eval and perplexity.
   * Runs between the engine's steps; nothing of it is cached for later prompts.
   */
  async evaluate(ids: readonly number[], onLogits: (pos: number, logits: Float32Array) => void, signal?: AbortSignal, chunk = this.maxBatchTokens): Promise<void> {
    this.checkOpen();
    if (ids.length > this.contextSize) throw new ContextOverflowError(ids.length, this.contextSize);
    const V = this.model.config.vocabSize;
    const kv = this.kvPools.open(this.contextSize);
    try {
      for (let start = 0; start < ids.length; start += chunk) {
        signal?.throwIfAborted();
        this.checkOpen();
        const n = Math.min(chunk, ids.length - start);
        const all = this.runner.evaluate(ids.slice(start, start + n), n, start, kv);
        for (let t = 0; t < n; t++) onLogits(start + t, all.subarray(t * V, (t + 1) * V));
        await turn();
      }
    } finally {
      if (!this.disposed) kv.dispose();
    }
  }

  /** Resolves when every submitted request has finished. */
  async idle(): Promise<void> {
    while (this.looping) await this.looping;
  }

  get waitingCount(): number {
    return this.scheduler.waiting.length;
  }

  get runningCount(): number {
    return this.scheduler.running.length;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * Steps until no request is left. An error inside a step (a kernel trap, a crashed worker) fails
   * every unfinished request with it rather than escaping as an unhandled rejection: the process
   * keeps running, every generation settles, and the engine takes new requests afterwards.
   */
  private async loop(): Promise<void> {
    try {
      // The first step waits for the next turn: submit() returns at once, and requests submitted
      // in the same turn start in the same batch.
      await turn();
      while (!this.disposed && this.scheduler.hasWork) {
        this.step();
        await turn();
      }
    } catch (e) {
      this.failAll(e);
    } finally {
      this.looping = undefined;
    }
  }

  private failAll(error: unknown): void {
    const s = this.scheduler;
    for (const r of [...s.running, ...s.waiting]) this.fail(r, error);
  }

  /** One engine iteration: end cancelled requests, schedule, run, sample, emit. */
  private step(): void {
    const s = this.scheduler;
    this.dropCancelled();
    if (!s.hasWork) return;
    const prefillStart = performance.now();
    const step = s.schedule();
    if (step.n > 0) {
      const logits = this.runner.execute();
      const now = performance.now();
      s.afterStep(step);
      if (step.prefillTokens > 0) this.observer?.onPrefill?.(prefillStart, now, step.prefillTokens, -1);
      for (let i = 0; i < step.rows; i++) {
        const r = s.rowRequests[i]!;
        s.rowRequests[i] = undefined;
        if (Number.isNaN(r.prefillEnd)) r.prefillEnd = now;
        let reason: FinishReason | undefined;
        try {
          const sampled = this.runner.sample(r, this.runner.row(logits, i, step.rows), this.sampled);
          reason = this.output.process(r, sampled, performance.now());
        } catch (e) {
          // A sampling failure (every token banned by logit bias) ends this request only.
          this.fail(r, e);
          continue;
        }
        if (reason === undefined) {
          if (r.generated.length > 0) this.observer?.onToken?.(r.id, r.times[r.generated.length - 1], 1);
          continue;
        }
        if (reason !== 'eos') this.observer?.onToken?.(r.id, r.times[r.generated.length - 1], 1);
        this.finish(r, reason);
      }
      this.kvPools.step();
    }
    this.report(step.n);
  }

  private dropCancelled(): void {
    const s = this.scheduler;
    for (let i = s.running.length - 1; i >= 0; i--) if (s.running[i].wantsCancel) this.finish(s.running[i], 'abort');
    for (let i = s.waiting.length - 1; i >= 0; i--) if (s.waiting[i].wantsCancel) this.finish(s.waiting[i], 'abort');
  }

  private finish(r: Request, reason: FinishReason): void {
    this.scheduler.remove(r);
    const now = performance.now();
    const result = this.output.finish(r, reason, now, this.disposed ? undefined : this.pool.stats());
    this.observer?.onFinish?.(r.id, now, result.finishReason);
    r.generation.settle(result);
    this.onRequestEnd?.(r.id);
  }

  private fail(r: Request, error: unknown): void {
    this.scheduler.remove(r);
    this.observer?.onFinish?.(r.id, performance.now(), 'error');
    r.generation.settle(undefined, error);
    this.onRequestEnd?.(r.id);
  }

  private report(stepTokens: number): void {
    const obs = this.observer;
    if (!obs?.onStep) return;
    const s = this.pool.stats(this.stats);
    const g = this.gauges;
    g.time = performance.now();
    g.kvBlocksUsed = s.blocksUsed;
    g.kvBlocksCached = s.blocksCached;
    g.kvBlocksFree = s.blocksFree;
    g.kvUtilisation = s.utilization;
    g.waiting = this.scheduler.waiting.length;
    g.running = this.scheduler.running.length;
    g.stepTokens = stepTokens;
    obs.onStep(g);
  }

  /** The KV pool's statistics now. */
  kvStats(): KVCacheStats {
    return this.pool.stats();
  }

  private checkOpen(): void {
    if (this.disposed) throw new DisposedError(this.disposeReason);
    if (this.model.isDisposed) throw new DisposedError('model');
  }

  /**
   * Fails every unfinished request with a `DisposedError`, frees the pool and the scratch.
   * Idempotent. `what` names who was disposed in the error ('engine', 'context', 'model').
   */
  dispose(what = 'engine'): void {
    if (this.disposed) return;
    this.disposeReason = what;
    this.failAll(new DisposedError(what));
    this.disposed = true;
    this.unsubscribeGc();
    this.runner.dispose();
    for (const at of this.regions) this.model.arena.free(at);
    this.regions.length = 0;
    this.model.unregisterEngine(this);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
