/**
 * The scheduler decides what runs in each step (vLLM v1's split: it touches queues and KV blocks,
 * never logits or text). Each step first gives every running sequence its decode token, then spends
 * what is left of the step's token budget on prefill chunks of admitted or waiting requests
 * (chunked prefill: a long prompt never stalls running streams for long). When KV blocks run out,
 * the newest running request is preempted by recompute: its blocks are freed and it goes back to
 * the front of the queue with what it has generated so far.
 */
import type { KVCacheOutOfBlocksError } from '@legato/kvcache';
import type { ForwardBatch } from '../model/forward.js';
import type { KVPools } from '../model/paged-kv-cache.js';
import type { Request } from './request.js';

/** What one step runs: the batch (written into the model runner's batch) and whose logits are whose. */
export interface ScheduledStep {
  /** Tokens in the batch. */
  n: number;
  /** Logits rows; row i belongs to `rowRequests[i]`. */
  rows: number;
  prefillTokens: number;
}

export class Scheduler {
  readonly waiting: Request[] = [];
  readonly running: Request[] = [];
  /** Request owning each row of the current batch's logits. */
  readonly rowRequests: (Request | undefined)[];
  private readonly out: ScheduledStep = { n: 0, rows: 0, prefillTokens: 0 };

  constructor(
    /** One pool, or a pool per layer group (sliding-window models): a sequence fits only if it fits all. */
    private readonly pools: KVPools,
    private readonly batch: ForwardBatch,
    readonly contextSize: number,
    readonly maxSequences: number,
    readonly maxBatchTokens: number,
    private readonly onAdmit: (r: Request) => void,
    /** A request that cannot fit even with the pool to itself: it is removed and must be failed. */
    private readonly onUnfittable: (r: Request, e: KVCacheOutOfBlocksError) => void,
  ) {
    this.rowRequests = new Array(maxBatchTokens);
  }

  add(r: Request): void {
    this.waiting.push(r);
  }

  get hasWork(): boolean {
    return this.waiting.length > 0 || this.running.length > 0;
  }

  /** Fills the batch for one step. The same result object is reused every step. */
  schedule(): ScheduledStep {
    const b = this.batch;
    const out = this.out;
    out.n = 0;
    out.rows = 0;
    out.prefillTokens = 0;
    // 1. Decode: one token per running sequence that has finished its prefill.
    for (let i = 0; i < this.running.length; i++) {
      const r = this.running[i];
      if (!r.decoding) continue;
      if (!this.reserve(r, r.computed + 1)) {
        i = this.running.indexOf(r); // preemption may have removed others; re-find our place
        if (i < 0) break;
        continue;
      }
      b.tokens[out.n] = r.last;
      b.positions[out.n] = r.computed;
      b.caches[out.n] = r.kv!;
      b.logitRows[out.rows] = out.n;
      this.rowRequests[out.rows++] = r;
      out.n++;
    }
    // 2. Prefill chunks: admitted requests first, then admit from the queue.
    for (let i = 0; i < this.running.length && out.n < this.maxBatchTokens; i++) {
      const r = this.running[i];
      if (r.decoding) continue;
      if (!this.addPrefill(r)) break;
    }
    while (out.n < this.maxBatchTokens && this.waiting.length && this.running.length < this.maxSequences) {
      const r = this.waiting[0];
      if (!this.admit(r)) break;
      this.waiting.shift();
      this.running.push(r);
      if (!this.addPrefill(r)) break;
    }
    b.n = out.n;
    b.nLogits = out.rows;
    if (out.n === 0 && this.running.length > 0) {
      // Every running request is mid-prefill and the pool is full: free the newest so the others
      // can finish (it will be recomputed). Alone, it can never fit: preempting would loop forever.
      const newest = this.running[this.running.length - 1];
      if (this.running.length === 1) this.unfittable(newest, newest.nTokens - newest.computed);
      else this.preempt(newest);
    }
    return out;
  }

  /** After the batch ran: its positions are computed, and the KV cache may hash what they hold. */
  afterStep(step: ScheduledStep): void {
    const b = this.batch;
    for (let t = 0; t < step.n; t++) {
      const r = this.requestOfCache(b.caches[t]);
      if (r && b.positions[t] + 1 > r.computed) r.computed = b.positions[t] + 1;
    }
    for (let i = 0; i < step.rows; i++) {
      const r = this.rowRequests[i]!;
      if (r.kv) r.kv.commit(r.tokens, r.computed);
    }
  }

  /** Removes a request from the queues and frees its KV blocks. */
  remove(r: Request): void {
    let i = this.running.indexOf(r);
    if (i >= 0) this.running.splice(i, 1);
    i = this.waiting.indexOf(r);
    if (i >= 0) this.waiting.splice(i, 1);
    r.kv?.dispose();
    r.kv = undefined;
  }

  /**
   * Adds the next prefill chunk of `r` (as much as the step's budget allows) to the batch, with a
   * logits row when the chunk completes its prompt. False when the pool has no blocks for it.
   */
  private addPrefill(r: Request): boolean {
    const b = this.batch;
    const c = this.out;
    const take = Math.min(r.nTokens - r.computed, this.maxBatchTokens - c.n);
    if (take <= 0) return true;
    // Prefill never preempts: the decode tokens already in this batch belong to running requests.
    if (!r.kv!.canReserve(r.computed + take)) return false;
    r.kv!.reserve(r.computed + take);
    for (let t = 0; t < take; t++) {
      b.tokens[c.n + t] = r.tokens[r.computed + t];
      b.positions[c.n + t] = r.computed + t;
      b.caches[c.n + t] = r.kv!;
    }
    if (r.computed + take >= r.nTokens) {
      b.logitRows[c.rows] = c.n + take - 1;
      this.rowRequests[c.rows++] = r;
    }
    c.n += take;
    c.prefillTokens += take;
    return true;
  }

  /** Starts the request's sequence, reusing cached prefix blocks. False if no block is free now. */
  private admit(r: Request): boolean {
    if (!this.pools.hasFreeBlock()) return false;
    r.kv = this.pools.open(this.contextSize, r.tokens.subarray(0, r.nTokens));
    r.computed = r.kv.length;
    if (r.preemptions === 0) r.cachedPromptTokens = r.computed;
    if (Number.isNaN(r.admission)) {
      r.admission = performance.now();
      this.onAdmit(r);
    }
    return true;
  }

  /** Makes room for positions [0, end) of r, preempting newer requests if the pool is full. */
  private reserve(r: Request, end: number): boolean {
    for (;;) {
      if (r.kv!.canReserve(end)) {
        r.kv!.reserve(end);
        return true;
      }
      if (this.running.length === 1) {
        // r has the pool to itself and still does not fit: recompute would only come back here.
        this.unfittable(r, end - r.kv!.length);
        return false;
      }
      const victim = this.running[this.running.length - 1];
      this.preempt(victim);
      if (victim === r) return false;
    }
  }

  /** Recompute preemption: free the blocks, requeue at the front with the tokens so far. */
  private preempt(r: Request): void {
    const i = this.running.indexOf(r);
    if (i >= 0) this.running.splice(i, 1);
    r.kv?.dispose();
    r.kv = undefined;
    r.computed = 0;
    r.preemptions++;
    // The last sampled token has no K/V yet; it is re-fed after the recomputed prefix.
    this.waiting.unshift(r);
  }

  private unfittable(r: Request, tokens: number): void {
    const e = r.kv!.outOfBlocks(r.kv!.length + tokens);
    this.remove(r);
    this.onUnfittable(r, e);
  }

  private requestOfCache(kv: unknown): Request | undefined {
    for (const r of this.running) if (r.kv === kv) return r;
    return undefined;
  }
}
