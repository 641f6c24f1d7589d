/**
 * The model runner executes what the scheduler scheduled: one forward pass over the batch, then
 * one sampled token per logits row. It owns the forward pass's scratch (carved from the arena once)
 * and knows nothing of queues, text or time.
 */
import type { Arena } from '@legato/quant';
import { LlamaForward, type ForwardBatch } from '../model/forward.js';
import type { KVCache } from '../model/kv-cache.js';
import type { LlamaModel } from './model.js';
import type { Request } from './request.js';

/** One sampled token and, when asked for, its log-probabilities. */
export interface SampledToken {
  id: number;
  logprob: number | undefined;
  topLogprobs: { id: number; logprob: number }[] | undefined;
}

export class ModelRunner {
  private readonly forward: LlamaForward;
  readonly vocabSize: number;

  constructor(model: LlamaModel, arena: Arena, maxBatchTokens: number, contextSize: number) {
    this.vocabSize = model.config.vocabSize;
    this.forward = new LlamaForward(model.config, model.weights, model.backend, arena, { maxBatch: maxBatchTokens, maxContext: contextSize });
  }

  /** The batch the scheduler fills. */
  get batch(): ForwardBatch {
    return this.forward.batch;
  }

  /** Runs the scheduled batch; returns [rows × vocab] logits (valid until the next run). */
  execute(): Float32Array {
    return this.forward.runBatch();
  }

  /** The logits row of a request, as a view into `all`. */
  row(all: Float32Array, i: number, rows: number): Float32Array {
    const V = this.vocabSize;
    return rows === 1 ? all : all.subarray(i * V, (i + 1) * V);
  }

  /** Samples the request's next token; the logits are left untouched. */
  sample(r: Request, logits: Float32Array, out: SampledToken): SampledToken {
    out.id = r.sampler.sample(logits);
    out.logprob = undefined;
    out.topLogprobs = undefined;
    if (r.options.logprobs >= 0) this.logprobs(logits, out.id, r.options.logprobs, out);
    return out;
  }

  /**
   * Teacher-forced logits of `n` tokens at positions pos0.. of `kv` (every row), for eval and
   * perplexity. Shares the scratch with `execute`: callers run it between steps, never inside one.
   */
  evaluate(ids: ArrayLike<number>, n: number, pos0: number, kv: KVCache): Float32Array {
    return this.forward.run(ids, n, pos0, kv, true);
  }

  /** Log-softmax of the raw logits at `id`, and the `top` most likely ids (vLLM's raw logprobs). */
  private logprobs(logits: Float32Array, id: number, top: number, out: SampledToken): void {
    let max = -Infinity;
    for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
    let sum = 0;
    for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
    const lse = max + Math.log(sum);
    out.logprob = logits[id] - lse;
    if (top === 0) return;
    // Insertion into a short sorted list: top ≤ 20, one pass over the vocabulary.
    const ids: number[] = [];
    const vals: number[] = [];
    for (let i = 0; i < logits.length; i++) {
      const v = logits[i];
      if (ids.length === top && v <= vals[top - 1]) continue;
      let j = ids.length < top ? ids.length : top - 1;
      while (j > 0 && vals[j - 1] < v) {
        vals[j] = vals[j - 1];
        ids[j] = ids[j - 1];
        j--;
      }
      vals[j] = v;
      ids[j] = i;
    }
    out.topLogprobs = ids.map((tid, k) => ({ id: tid, logprob: vals[k] - lse }));
  }

  dispose(): void {
    this.forward.dispose();
  }
}
