/**
 * The serving engine: many requests share one model, one paged KV pool and one forward pass per
 * step (continuous batching, as vLLM does it). Each step first gives every running sequence its
 * decode token, then spends what is left of the step's token budget on prefill chunks of admitted
 * or waiting requests (chunked prefill: a long prompt never stalls running streams for long).
 * When KV blocks run out, the newest running request is preempted by recompute: its blocks are
 * freed and it goes back to the front of the queue with what it has generated so far.
 */
import { PagedKVCache, type GcConfig, type GcEvent, type KVCacheStats } from '@legato/kvcache';
import { Sampler, StopStringMatcher } from '../sample/index.js';
import { LlamaForward } from '../model/forward.js';
import { PagedSequenceKV } from '../model/paged-kv-cache.js';
import type { StreamingDetokenizer } from '../tokenizer/index.js';
import type { FinishReason, GenerateOptions, GeneratedToken, GenerationResult } from './context.js';
import { ContextOverflowError, DisposedError } from './errors.js';
import type { LlamaModel } from './model.js';
import { summarizeTimings } from './timings.js';

/** What the engine tells an observer (a metrics collector) as it works; ids are request ids. */
export interface EngineObserver {
  onRequestArrival?(id: number, time: number, promptTokens: number): void;
  onAdmission?(id: number, time: number): void;
  onPrefill?(start: number, end: number, tokens: number, id: number): void;
  onToken?(id: number, time: number, tokens: number): void;
  onFinish?(id: number, time: number, reason: string): void;
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
  /** Longest sequence (prompt + output). Default: the model's training context, at most 2048. */
  contextSize?: number;
  /** Most sequences running at once (vLLM's max-num-seqs). Default 8. */
  maxSequences?: number;
  /** Token budget per step, decode tokens first, then prefill chunks (max-num-batched-tokens). Default 256. */
  maxBatchTokens?: number;
  blockSize?: number;
  /** Bytes of KV block pool. Default: every sequence at full context. */
  kvMemoryBytes?: number;
  gc?: GcConfig;
  prefixCaching?: boolean;
  observer?: EngineObserver;
}

export interface EngineRequestResult extends GenerationResult {
  readonly id: number;
  /** Times this request was preempted (and recomputed). */
  readonly preemptions: number;
  readonly arrival: number;
  readonly admission: number;
}

/** A submitted request: iterate it for tokens, or await `result()`. */
export class RequestHandle implements AsyncIterable<GeneratedToken> {
  private readonly queue: GeneratedToken[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private readonly done: Promise<EngineRequestResult>;
  private resolveDone!: (r: EngineRequestResult) => void;
  private rejectDone!: (e: unknown) => void;
  private error: unknown;

  constructor(readonly id: number) {
    this.done = new Promise((res, rej) => {
      this.resolveDone = res;
      this.rejectDone = rej;
    });
    this.done.catch(() => undefined); // surfaced through result() / iteration
  }

  /** @internal */
  push(t: GeneratedToken): void {
    this.queue.push(t);
    this.wake?.();
  }

  /** @internal */
  finish(r: EngineRequestResult | undefined, error?: unknown): void {
    this.ended = true;
    if (error !== undefined) {
      this.error = error;
      this.rejectDone(error);
    } else this.resolveDone(r!);
    this.wake?.();
  }

  result(): Promise<EngineRequestResult> {
    return this.done;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<GeneratedToken> {
    for (;;) {
      while (this.queue.length) yield this.queue.shift()!;
      if (this.ended) {
        if (this.error !== undefined) throw this.error;
        return;
      }
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }
}

interface Req {
  id: number;
  handle: RequestHandle;
  prompt: number[];
  opts: GenerateOptions;
  sampler: Sampler;
  decoder: StreamingDetokenizer;
  stops: StopStringMatcher;
  /** Prompt + generated ids (what the KV cache must hold), for prefix hashing and recompute. */
  tokens: Int32Array;
  nTokens: number;
  /** Positions whose K/V are computed. */
  computed: number;
  kv: PagedSequenceKV | undefined;
  generated: number[];
  text: string;
  times: Float64Array;
  arrival: number;
  admission: number;
  prefillEnd: number;
  cachedPromptTokens: number;
  preemptions: number;
  maxTokens: number;
  last: number;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class InferenceEngine {
  readonly contextSize: number;
  readonly maxSequences: number;
  readonly maxBatchTokens: number;
  readonly pool: PagedKVCache;
  private readonly forward: LlamaForward;
  private readonly regions: number[] = [];
  private readonly waiting: Req[] = [];
  private readonly running: Req[] = [];
  /** Request owning each row of the current batch's logits. */
  private readonly rowReq: (Req | undefined)[];
  private readonly gauges: EngineStepGauges = { time: 0, kvBlocksUsed: 0, kvBlocksCached: 0, kvBlocksFree: 0, kvUtilisation: 0, waiting: 0, running: 0, stepTokens: 0 };
  private readonly stats: KVCacheStats;
  /** Where the step being assembled stands: batch rows used, logits rows used, prefill tokens. */
  private readonly cursor = { n: 0, rows: 0, prefillTokens: 0 };
  private nextId = 1;
  private looping: Promise<void> | undefined;
  private disposed = false;
  private readonly unsubscribeGc: () => void;

  constructor(readonly model: LlamaModel, private readonly options: EngineOptions = {}) {
    const c = model.config;
    this.contextSize = options.contextSize ?? Math.min(c.trainContext, 2048);
    this.maxSequences = options.maxSequences ?? 8;
    this.maxBatchTokens = Math.max(options.maxBatchTokens ?? 256, this.maxSequences);
    const blockSize = options.blockSize ?? 16;
    const bytesPerToken = 2 * c.nLayers * c.kvDim * 4;
    const arena = model.arena;
    this.pool = new PagedKVCache({
      layers: c.nLayers,
      kvHeads: c.nKVHeads,
      headDim: c.headDim,
      blockSize,
      memoryBytes: options.kvMemoryBytes ?? this.maxSequences * Math.ceil(this.contextSize / blockSize) * blockSize * bytesPerToken,
      gc: options.gc,
      prefixCaching: options.prefixCaching ?? true,
      storage: (n) => {
        const at = arena.alloc(n);
        this.regions.push(at);
        return { buffer: arena.buffer, byteOffset: at, byteLength: n, zeroed: true };
      },
    });
    this.stats = this.pool.stats();
    this.forward = new LlamaForward(c, model.weights, model.backend, arena, { maxBatch: this.maxBatchTokens, maxContext: this.contextSize });
    this.rowReq = new Array(this.maxBatchTokens);
    const obs = options.observer;
    this.unsubscribeGc = obs?.onKvGc ? this.pool.onGc((e) => obs.onKvGc!(e)) : () => undefined;
  }

  /** Queues a request; tokens stream from the returned handle as the engine steps. */
  submit(prompt: string | readonly number[], opts: GenerateOptions = {}): RequestHandle {
    if (this.disposed) throw new DisposedError('engine');
    const tok = this.model.tokenizer;
    const ids = typeof prompt === 'string' ? tok.encode(prompt, { addSpecial: opts.addSpecial ?? true, parseSpecial: opts.parseSpecial ?? false }) : [...prompt];
    if (ids.length === 0) throw new RangeError('the prompt is empty (no tokens to start from)');
    if (ids.length >= this.contextSize) throw new ContextOverflowError(ids.length, this.contextSize);
    const V = this.model.config.vocabSize;
    for (const id of ids) if (!Number.isInteger(id) || id < 0 || id >= V) throw new RangeError(`prompt token id ${id} is outside the vocabulary (0..${V - 1})`);
    const id = this.nextId++;
    const maxTokens = Math.min(opts.maxTokens ?? Infinity, this.contextSize - ids.length);
    const tokens = new Int32Array(this.contextSize);
    tokens.set(ids);
    const r: Req = {
      id, handle: new RequestHandle(id), prompt: ids, opts,
      sampler: new Sampler(V, opts), decoder: tok.createStreamingDecoder(), stops: new StopStringMatcher(opts.stop ?? []),
      tokens, nTokens: ids.length, computed: 0, kv: undefined, generated: [], text: '',
      times: new Float64Array(Math.min(maxTokens, this.contextSize)), arrival: performance.now(), admission: NaN, prefillEnd: NaN,
      cachedPromptTokens: 0, preemptions: 0, maxTokens, last: -1,
    };
    for (const t of ids) r.sampler.accept(t);
    this.waiting.push(r);
    this.options.observer?.onRequestArrival?.(id, r.arrival, ids.length);
    this.looping ??= this.loop();
    return r.handle;
  }

  /** Resolves when every submitted request has finished. */
  async idle(): Promise<void> {
    while (this.looping) await this.looping;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  get runningCount(): number {
    return this.running.length;
  }

  /**
   * Steps until no request is left. An error inside a step (a kernel trap, an out-of-memory arena)
   * fails every unfinished request with it rather than escaping as an unhandled rejection: the
   * process keeps running and every handle settles.
   */
  private async loop(): Promise<void> {
    try {
      while (!this.disposed && (this.waiting.length || this.running.length)) {
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
    for (const r of [...this.running, ...this.waiting]) {
      r.kv?.dispose();
      r.kv = undefined;
      this.options.observer?.onFinish?.(r.id, performance.now(), 'error');
      r.handle.finish(undefined, error);
    }
    this.running.length = 0;
    this.waiting.length = 0;
  }

  /** One scheduler iteration: decode tokens for running sequences, then prefill chunks. */
  step(): void {
    const b = this.forward.batch;
    const pool = this.pool;
    let n = 0;
    let rows = 0;
    b.n = 0;
    this.dropAborted();
    // 1. Decode: one token per running sequence that has finished its prefill.
    for (let i = 0; i < this.running.length; i++) {
      const r = this.running[i];
      if (r.computed < r.nTokens - 1 || r.last < 0) continue;
      if (!this.reserve(r, r.computed + 1)) {
        i = this.running.indexOf(r); // preemption may have removed others; re-find our place
        if (i < 0) break;
        continue;
      }
      b.tokens[n] = r.last;
      b.positions[n] = r.computed;
      b.caches[n] = r.kv!;
      b.logitRows[rows] = n;
      this.rowReq[rows++] = r;
      n++;
    }
    // 2. Prefill chunks: admitted requests first, then admit from the queue.
    this.cursor.n = n;
    this.cursor.rows = rows;
    this.cursor.prefillTokens = 0;
    const prefillStart = performance.now();
    for (let i = 0; i < this.running.length && this.cursor.n < this.maxBatchTokens; i++) {
      const r = this.running[i];
      if (r.last >= 0 && r.computed >= r.nTokens - 1) continue;
      if (!this.addPrefill(r)) break;
    }
    while (this.cursor.n < this.maxBatchTokens && this.waiting.length && this.running.length < this.maxSequences) {
      const r = this.waiting[0];
      if (!this.admit(r)) break;
      this.waiting.shift();
      this.running.push(r);
      if (!this.addPrefill(r)) break;
    }
    n = this.cursor.n;
    rows = this.cursor.rows;
    const prefillTokens = this.cursor.prefillTokens;
    b.n = n;
    b.nLogits = rows;
    if (n === 0 && this.running.length > 0) {
      // Every running request is mid-prefill and the pool is full: free the newest so the others
      // can finish (it will be recomputed).
      this.preempt(this.running[this.running.length - 1]);
    }
    if (n > 0) {
      const logits = this.forward.runBatch();
      const now = performance.now();
      // Positions are computed once the batch ran.
      for (let t = 0; t < n; t++) {
        const r = this.reqOfCache(b.caches[t]);
        if (r && b.positions[t] + 1 > r.computed) r.computed = b.positions[t] + 1;
      }
      if (prefillTokens > 0) this.options.observer?.onPrefill?.(prefillStart, now, prefillTokens, -1);
      const V = this.model.config.vocabSize;
      for (let i = 0; i < rows; i++) {
        const r = this.rowReq[i]!;
        this.rowReq[i] = undefined;
        if (Number.isNaN(r.prefillEnd)) r.prefillEnd = now;
        pool.commitTokens(r.kv!.seq, r.tokens, r.computed);
        this.emit(r, rows === 1 ? logits : logits.subarray(i * V, (i + 1) * V));
      }
      pool.step();
    }
    this.report(n);
  }

  /**
   * Adds the next prefill chunk of `r` (as much as the step's budget allows) to the batch, with a
   * logits row when the chunk completes its prompt. False when the pool has no blocks for it.
   */
  private addPrefill(r: Req): boolean {
    const b = this.forward.batch;
    const c = this.cursor;
    const take = Math.min(r.nTokens - r.computed, this.maxBatchTokens - c.n);
    if (take <= 0) return true;
    // Prefill never preempts: the decode tokens already in this batch belong to running requests.
    if (this.pool.blocksNeeded(r.kv!.seq, r.computed + take - r.kv!.length) > this.pool.availableBlocks()) return false;
    r.kv!.reserve(r.computed + take);
    for (let t = 0; t < take; t++) {
      b.tokens[c.n + t] = r.tokens[r.computed + t];
      b.positions[c.n + t] = r.computed + t;
      b.caches[c.n + t] = r.kv!;
    }
    if (r.computed + take >= r.nTokens) {
      b.logitRows[c.rows] = c.n + take - 1;
      this.rowReq[c.rows++] = r;
    }
    c.n += take;
    c.prefillTokens += take;
    return true;
  }

  /** Starts the request's sequence, reusing cached prefix blocks. False if no block is free now. */
  private admit(r: Req): boolean {
    if (this.pool.availableBlocks() === 0) return false;
    const seq = this.pool.createSequence({ promptTokens: r.tokens.subarray(0, r.nTokens) });
    r.kv = new PagedSequenceKV(this.pool, seq, this.contextSize);
    r.computed = r.kv.length;
    if (r.preemptions === 0) r.cachedPromptTokens = r.computed;
    if (Number.isNaN(r.admission)) {
      r.admission = performance.now();
      this.options.observer?.onAdmission?.(r.id, r.admission);
    }
    return true;
  }

  /** Makes room for positions [0, end) of r, preempting newer requests if the pool is full. */
  private reserve(r: Req, end: number): boolean {
    for (;;) {
      const need = this.pool.blocksNeeded(r.kv!.seq, end - r.kv!.length);
      if (need <= this.pool.availableBlocks()) {
        r.kv!.reserve(end);
        return true;
      }
      const victim = this.running[this.running.length - 1];
      this.preempt(victim);
      if (victim === r) return false;
    }
  }

  /** Recompute preemption: free the blocks, requeue at the front with the tokens so far. */
  private preempt(r: Req): void {
    const i = this.running.indexOf(r);
    if (i >= 0) this.running.splice(i, 1);
    r.kv?.dispose();
    r.kv = undefined;
    r.computed = 0;
    r.preemptions++;
    // The last sampled token has no K/V yet; it is re-fed after the recomputed prefix.
    this.waiting.unshift(r);
  }

  private reqOfCache(kv: unknown): Req | undefined {
    for (const r of this.running) if (r.kv === kv) return r;
    return undefined;
  }

  private emit(r: Req, logits: Float32Array): void {
    const tok = this.model.tokenizer;
    const id = r.sampler.sample(logits);
    let reason: FinishReason | undefined;
    if (!r.opts.ignoreEos && tok.isEog(id)) reason = 'eos';
    else {
      r.sampler.accept(id);
      const { emit, stopped } = r.stops.push(r.decoder.push(id));
      const time = performance.now();
      r.times[r.generated.length] = time;
      r.generated.push(id);
      r.text += emit;
      r.tokens[r.nTokens++] = id;
      r.last = id;
      r.handle.push({ id, text: emit, index: r.generated.length - 1, time });
      this.options.observer?.onToken?.(r.id, time, 1);
      if (stopped) reason = 'stop';
      else if (r.generated.length >= r.maxTokens) reason = r.opts.maxTokens === undefined ? 'context' : 'length';
      else if (r.opts.signal?.aborted) reason = 'abort';
    }
    if (reason) this.finish(r, reason);
  }

  private dropAborted(): void {
    for (const list of [this.running, this.waiting]) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i].opts.signal?.aborted) this.finish(list[i], 'abort');
    }
  }

  private finish(r: Req, reason: FinishReason): void {
    for (const list of [this.running, this.waiting]) {
      const i = list.indexOf(r);
      if (i >= 0) list.splice(i, 1);
    }
    if (reason !== 'stop') r.text += r.stops.push(r.decoder.flush()).emit + r.stops.flush();
    r.kv?.dispose();
    r.kv = undefined;
    const end = performance.now();
    this.options.observer?.onFinish?.(r.id, end, reason);
    const n = r.generated.length;
    r.handle.finish({
      id: r.id,
      promptIds: r.prompt,
      ids: r.generated,
      text: r.text,
      finishReason: reason,
      timings: summarizeTimings(r.arrival, Number.isNaN(r.prefillEnd) ? end : r.prefillEnd, r.prompt.length, r.times.subarray(0, n)),
      cachedPromptTokens: r.cachedPromptTokens,
      preemptions: r.preemptions,
      arrival: r.arrival,
      admission: r.admission,
    });
  }

  private report(stepTokens: number): void {
    const obs = this.options.observer;
    if (!obs?.onStep) return;
    const s = this.pool.stats(this.stats);
    const g = this.gauges;
    g.time = performance.now();
    g.kvBlocksUsed = s.blocksUsed;
    g.kvBlocksCached = s.blocksCached;
    g.kvBlocksFree = s.blocksFree;
    g.kvUtilisation = s.utilization;
    g.waiting = this.waiting.length;
    g.running = this.running.length;
    g.stepTokens = stepTokens;
    obs.onStep(g);
  }

  /** The KV pool's statistics now. */
  kvStats(): KVCacheStats {
    return this.pool.stats();
  }

  /** Fails every unfinished request, frees the pool and the scratch. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.failAll(new DisposedError('engine'));
    this.unsubscribeGc();
    this.forward.dispose();
    for (const at of this.regions) this.model.arena.free(at);
    this.regions.length = 0;
  }
}
