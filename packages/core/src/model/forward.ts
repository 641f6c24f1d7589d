/**
 * The forward pass of every supported architecture, as llama.cpp runs it: RMSNorm → Q/K/V (+bias)
 * → [per-head Q/K norm] → RoPE → grouped-query causal attention over the KV cache [sliding window,
 * soft-cap] → output projection → [post-norm] → RMSNorm → gated FFN (SwiGLU or GeGLU) →
 * [post-norm], residuals around both; final RMSNorm, output projection [soft-cap]. What is in
 * brackets, and every constant, comes from the config, i.e. from the architecture's trait table
 * (architectures.ts): there is no per-architecture code path.
 *
 * A call processes a batch of consecutive tokens as matrices (one matmul per weight for all of
 * them), so prefill is not a loop of decodes. Every buffer is carved from the arena once, when the
 * forward pass is built; `run` allocates nothing.
 */
import { getFormat, storeKVRow, type Arena, type AttentionShape, type ComputeBackend, type WeightRef } from '@legato/quant';
import type { LlamaConfig } from './config.js';
import type { KVCache } from './kv-cache.js';
import { addInPlace, addRows, copyColumns, gegluTanh, rmsNorm, rmsNormHeads, rope, ropeTable, scaleInPlace, softcapInPlace } from './ops.js';
import type { LlamaWeights } from './weights.js';

export interface ForwardOptions {
  /** Most tokens one `run` may process (the micro-batch); longer prompts are split by the caller. */
  maxBatch: number;
  /** Longest sequence attention must cover (sizes the table of cached K/V rows). */
  maxContext: number;
}

/** Tokens for one forward pass, possibly from several sequences (continuous batching). */
export interface ForwardBatch {
  n: number;
  readonly tokens: Int32Array;
  readonly positions: Int32Array;
  readonly caches: KVCache[];
  /** Which rows need logits, in output order. */
  readonly logitRows: Int32Array;
  nLogits: number;
}

export class LlamaForward {
  readonly maxBatch: number;
  readonly maxContext: number;
  private readonly x: Float32Array;
  private readonly xb: Float32Array;
  private readonly q: Float32Array;
  private readonly k: Float32Array;
  private readonly v: Float32Array;
  private readonly att: Float32Array;
  /** Per position p < maxContext of the sequence being attended: K and V row byte offsets (rows[2p], rows[2p+1]). */
  private readonly kvRows: Int32Array;
  /** Per batch token: how many positions it attends to. */
  private readonly attLens: Int32Array;
  /** Per batch token: positions it attends to from the start of the current rows table (its window). */
  private readonly winLens: Int32Array;
  /** Fused QKV output [maxBatch × (qDim + 2·kvDim)], when a layer has attn_qkv. */
  private readonly qkv: Float32Array | undefined;
  /** Fused gate+up output [maxBatch × 2·ffnDim] (Phi-3). */
  private readonly gateUp: Float32Array | undefined;
  private readonly neox: boolean;
  private readonly ropeGlobal: Float64Array;
  private readonly ropeSwa: Float64Array;
  private readonly attShape: AttentionShape;
  private readonly gate: Float32Array;
  private readonly up: Float32Array;
  private readonly eps: Float64Array;
  /** Logits of the last token of the latest run. */
  readonly logits: Float32Array;
  private allLogits: Float32Array | undefined;
  /** Arena regions this pass owns, returned by `dispose`. */
  private readonly owned: number[] = [];

  constructor(
    readonly config: LlamaConfig,
    readonly weights: LlamaWeights,
    readonly backend: ComputeBackend,
    private readonly arena: Arena,
    options: ForwardOptions,
  ) {
    const c = config;
    const B = (this.maxBatch = options.maxBatch);
    this.x = this.alloc(B * c.dim);
    this.xb = this.alloc(B * c.dim);
    this.q = this.alloc(B * c.qDim);
    this.k = this.alloc(B * c.kvDim);
    this.v = this.alloc(B * c.kvDim);
    this.att = this.alloc(B * c.qDim);
    this.qkv = weights.layers.some((L) => L.wqkv) ? this.alloc(B * (c.qDim + 2 * c.kvDim)) : undefined;
    this.gateUp = c.traits.fusedGateUp ? this.alloc(B * 2 * c.ffnDim) : undefined;
    this.maxContext = options.maxContext;
    // In the arena, so the WASM backend reads them in place.
    this.kvRows = this.allocI32(2 * options.maxContext);
    this.attLens = this.allocI32(B);
    this.winLens = this.allocI32(B);
    this.attShape = { nHeads: c.nHeads, nKVHeads: c.nKVHeads, headDim: c.headDim, scale: c.attnScale, softcap: c.attnSoftcap };
    this.batch = {
      n: 0,
      tokens: new Int32Array(B),
      positions: new Int32Array(B),
      caches: new Array<KVCache>(B),
      logitRows: new Int32Array(B),
      nLogits: 0,
    };
    this.gate = this.alloc(B * c.ffnDim);
    this.up = this.alloc(B * c.ffnDim);
    this.logits = this.alloc(c.vocabSize);
    // Phi-3's long factors apply when the context exceeds the original one (llama.cpp compares its
    // per-sequence context, padded to 256, which decides the same for 256-multiples).
    const factors = weights.ropeFreqs ?? (options.maxContext > c.ropeOrigContext ? weights.ropeLong : weights.ropeShort);
    this.neox = c.traits.rope === 'neox';
    this.ropeGlobal = ropeTable(c.ropeDim, c.ropeGlobal.base, c.ropeGlobal.scale, factors, c.ropeAttnFactor);
    this.ropeSwa = ropeTable(c.ropeDim, c.ropeSwa.base, c.ropeSwa.scale, factors, c.ropeAttnFactor);
    this.eps = Float64Array.of(c.rmsEps);
  }

  /**
   * The batch `runBatch` processes: token i is `tokens[i]` at `positions[i]` of the sequence whose
   * K/V live in `caches[i]`. Tokens of one sequence must appear in position order. Preallocated:
   * fill it in place, never rebuild it.
   */
  readonly batch: ForwardBatch;

  /**
   * Runs tokens[0..n) at positions pos0..pos0+n-1 of one sequence.
   * Fills `this.logits` for the last token; with `allLogits`, returns a [n × vocab] view with
   * the logits of every token (teacher forcing, perplexity).
   */
  run(tokens: ArrayLike<number>, n: number, pos0: number, cache: KVCache, allLogits = false): Float32Array {
    if (n < 1 || n > this.maxBatch) throw new RangeError(`batch of ${n} tokens (1..${this.maxBatch} allowed)`);
    cache.reserve(pos0 + n);
    const b = this.batch;
    for (let t = 0; t < n; t++) {
      b.tokens[t] = tokens[t];
      b.positions[t] = pos0 + t;
      b.caches[t] = cache;
    }
    b.n = n;
    if (allLogits) {
      for (let t = 0; t < n; t++) b.logitRows[t] = t;
      b.nLogits = n;
      const out = this.runBatch();
      this.logits.set(out.subarray((n - 1) * this.config.vocabSize, n * this.config.vocabSize));
      return out;
    }
    b.logitRows[0] = n - 1;
    b.nLogits = 1;
    return this.runBatch();
  }

  /**
   * Runs `this.batch` (tokens of one or many sequences) as one set of matrix products, and returns
   * the logits of the rows listed in `batch.logitRows`, [nLogits × vocab]. A single row lands in
   * `this.logits` itself.
   */
  runBatch(): Float32Array {
    const c = this.config;
    const b = this.batch;
    const n = b.n;
    if (n < 1 || n > this.maxBatch) throw new RangeError(`batch of ${n} tokens (1..${this.maxBatch} allowed)`);
    const { dim, qDim, kvDim, headDim, nHeads, nKVHeads, ffnDim } = c;
    const x = this.x;
    const xb = this.xb;
    const emb = getFormat(this.weights.tokenEmbd.type);
    const embRow = this.weights.tokenEmbd.data.length / c.vocabSize;
    for (let t = 0; t < n; t++) {
      const id = b.tokens[t];
      if (!(id >= 0 && id < c.vocabSize)) throw new RangeError(`token id ${id} is outside the vocabulary (0..${c.vocabSize - 1})`);
      emb.dequantizeRow(this.weights.tokenEmbd.data, id * embRow, x, t * dim, dim);
    }
    if (c.embedScale !== 1) scaleInPlace(x, n * dim, c.embedScale);
    const q = this.q, k = this.k, v = this.v, att = this.att, gate = this.gate, up = this.up;
    for (let t = 0; t < n; t++) this.attLens[t] = b.positions[t] + 1; // causal: sees positions [0, pos]
    for (let l = 0; l < c.nLayers; l++) {
      const L = this.weights.layers[l];
      const window = c.swaLayers[l] === 1 ? c.slidingWindow : 0;
      const ropeT = window > 0 ? this.ropeSwa : this.ropeGlobal;
      for (let t = 0; t < n; t++) rmsNorm(xb, t * dim, x, t * dim, L.attnNorm, dim, this.eps);
      if (L.wqkv) {
        const qkv = this.qkv!;
        const w = qDim + 2 * kvDim;
        this.matmul(L.wqkv, xb, n, qkv);
        if (L.bqkv) addRows(qkv, L.bqkv, n, w);
        copyColumns(qkv, w, 0, n, qDim, q);
        copyColumns(qkv, w, qDim, n, kvDim, k);
        copyColumns(qkv, w, qDim + kvDim, n, kvDim, v);
      } else {
        this.matmul(L.wq!, xb, n, q);
        this.matmul(L.wk!, xb, n, k);
        this.matmul(L.wv!, xb, n, v);
        if (L.bq) addRows(q, L.bq, n, qDim);
        if (L.bk) addRows(k, L.bk, n, kvDim);
        if (L.bv) addRows(v, L.bv, n, kvDim);
      }
      for (let t = 0; t < n; t++) {
        const pos = b.positions[t];
        const cache = b.caches[t];
        const kv = cache.data;
        if (L.qNorm) rmsNormHeads(q, t * qDim, nHeads, headDim, L.qNorm, this.eps);
        if (L.kNorm) rmsNormHeads(k, t * kvDim, nKVHeads, headDim, L.kNorm, this.eps);
        rope(q, t * qDim, nHeads, headDim, c.ropeDim, pos, ropeT, this.neox);
        rope(k, t * kvDim, nKVHeads, headDim, c.ropeDim, pos, ropeT, this.neox);
        // Rounded to the cache's type here, once; attention reads the stored rows in place.
        storeKVRow(cache.type, k, t * kvDim, kv, cache.kOffset(l, pos), kvDim);
        storeKVRow(cache.type, v, t * kvDim, kv, cache.vOffset(l, pos), kvDim);
      }
      this.attend(l, window, n);
      this.matmul(L.wo, att, n, xb);
      if (L.bo) addRows(xb, L.bo, n, dim);
      if (L.attnPostNorm) for (let t = 0; t < n; t++) rmsNorm(xb, t * dim, xb, t * dim, L.attnPostNorm, dim, this.eps);
      addInPlace(x, xb, n * dim);
      for (let t = 0; t < n; t++) rmsNorm(xb, t * dim, x, t * dim, L.ffnNorm, dim, this.eps);
      if (L.wGate) {
        this.matmul(L.wGate, xb, n, gate);
        this.matmul(L.wUp, xb, n, up);
        if (L.bGate) addRows(gate, L.bGate, n, ffnDim);
        if (L.bUp) addRows(up, L.bUp, n, ffnDim);
      } else {
        // Fused [gate | up] rows (Phi-3): llama.cpp's swiglu takes silu of the first half.
        const gu = this.gateUp!;
        this.matmul(L.wUp, xb, n, gu);
        copyColumns(gu, 2 * ffnDim, 0, n, ffnDim, gate);
        copyColumns(gu, 2 * ffnDim, ffnDim, n, ffnDim, up);
      }
      if (c.traits.ffnActivation === 'silu') this.backend.swiglu(gate, up, n * ffnDim);
      else gegluTanh(gate, up, n * ffnDim);
      this.matmul(L.wDown, gate, n, xb);
      if (L.bDown) addRows(xb, L.bDown, n, dim);
      if (L.ffnPostNorm) for (let t = 0; t < n; t++) rmsNorm(xb, t * dim, xb, t * dim, L.ffnPostNorm, dim, this.eps);
      addInPlace(x, xb, n * dim);
    }
    const m = b.nLogits;
    for (let i = 0; i < m; i++) rmsNorm(xb, i * dim, x, b.logitRows[i] * dim, this.weights.outputNorm, dim, this.eps);
    const out = m === 1 ? this.logits : this.allLogitsBuffer();
    this.matmul(this.weights.output, xb, m, out);
    if (this.weights.outputBias) addRows(out, this.weights.outputBias, m, c.vocabSize);
    if (c.finalSoftcap > 0) softcapInPlace(out, 0, m * c.vocabSize, c.finalSoftcap);
    return m === 1 ? out : out.subarray(0, m * c.vocabSize);
  }

  /**
   * Attention of layer `l` for the batch, into `this.att`. One backend call per run of consecutive
   * tokens of one sequence that share the first visible position: 0 in global layers, so one call
   * per sequence; in sliding-window layers (window > 0) token at p sees (p − window, p], so tokens
   * past the first window get a call each, with the rows table starting at their window.
   */
  private attend(l: number, window: number, n: number): void {
    const b = this.batch;
    const rows = this.kvRows;
    for (let t0 = 0; t0 < n;) {
      const cache = b.caches[t0];
      const start = window > 0 ? Math.max(0, b.positions[t0] + 1 - window) : 0;
      let t1 = t0;
      let end = 0;
      while (t1 < n && b.caches[t1] === cache) {
        const s = window > 0 ? Math.max(0, b.positions[t1] + 1 - window) : 0;
        if (s !== start) break;
        const e = this.attLens[t1];
        if (e > this.maxContext) throw new RangeError(`position ${e - 1} is past maxContext ${this.maxContext}`);
        this.winLens[t1] = e - start;
        if (e > end) end = e;
        t1++;
      }
      for (let p = start; p < end; p++) {
        const j = 2 * (p - start);
        rows[j] = cache.kOffset(l, p);
        rows[j + 1] = cache.vOffset(l, p);
      }
      this.backend.attention(this.attShape, this.q, cache.data, cache.type, rows, this.winLens, t0, t1, this.att);
      t0 = t1;
    }
  }

  private matmul(w: WeightRef, x: Float32Array, n: number, out: Float32Array): void {
    this.backend.matmul(w, x, n, out);
  }

  /** [maxBatch × vocab], carved on first use only: generation never needs it. */
  private allLogitsBuffer(): Float32Array {
    this.allLogits ??= this.alloc(this.maxBatch * this.config.vocabSize);
    return this.allLogits;
  }

  private allocI32(length: number): Int32Array {
    const offset = this.arena.alloc(4 * length);
    this.owned.push(offset);
    return this.arena.i32(offset, length);
  }

  private alloc(length: number): Float32Array {
    const a = this.arena.allocF32(length);
    this.owned.push(a.byteOffset);
    return a;
  }

  /** Returns every scratch region to the arena; the pass is unusable afterwards. */
  dispose(): void {
    for (const r of this.owned) this.arena.free(r);
    this.owned.length = 0;
  }
}
