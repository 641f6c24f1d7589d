/**
 * The output processor turns sampled ids into what the user sees: detokenized text, stop strings
 * matched across token boundaries, a timestamp per token, and the decision that a request is done
 * (vLLM v1's output processor). It is the only place text is produced, so the streamed pieces and
 * the final result are built from the same strings and cannot disagree.
 */
import type { Tokenizer } from '../tokenizer/index.js';
import type { FinishReason, GenerationResult } from './generation.js';
import type { SampledToken } from './model-runner.js';
import type { Request } from './request.js';
import { summarizeTimings } from './timings.js';
import type { KVCacheStats } from '@legato/kvcache';

export class OutputProcessor {
  constructor(private readonly tokenizer: Tokenizer) {}

  /**
   * Takes the request's next sampled token: streams it (unless it ends generation) and returns why
   * the request is now finished, or undefined if it goes on.
   */
  process(r: Request, s: SampledToken, now: number): FinishReason | undefined {
    const id = s.id;
    if (!r.options.ignoreEos && this.tokenizer.isEog(id)) return 'eos';
    r.sampler.accept(id);
    const n = r.generated.length;
    // The last token this request may produce carries every held-back character, so the stream
    // ends with the same text the result reports.
    const last = n + 1 >= r.maxTokens;
    let { emit, stopped } = r.stops.push(r.decoder.push(id));
    if (last && !stopped) {
      const tail = r.stops.push(r.decoder.flush());
      emit += tail.emit;
      stopped = tail.stopped;
      if (!stopped) emit += r.stops.flush();
    }
    r.times[n] = now;
    r.generated.push(id);
    r.text += emit;
    r.tokens[r.nTokens++] = id;
    r.last = id;
    r.generation.push({ id, text: emit, index: n, time: now, logprob: s.logprob, topLogprobs: s.topLogprobs });
    if (stopped) return 'stop';
    if (last) return r.options.maxTokensGiven && r.generated.length >= r.options.maxTokens ? 'length' : 'context';
    return undefined;
  }

  /**
   * Ends a request that stopped without a token to carry its held-back text (end-of-generation,
   * abort): that text goes out as one closing text-only piece, then the result.
   */
  finish(r: Request, reason: FinishReason, now: number, kvStats: KVCacheStats | undefined): GenerationResult {
    if (reason === 'eos' || reason === 'abort') {
      const tail = r.stops.push(r.decoder.flush());
      const text = tail.stopped ? tail.emit : tail.emit + r.stops.flush();
      if (text.length > 0) {
        r.text += text;
        r.generation.push({ id: -1, text, index: r.generated.length, time: now, logprob: undefined, topLogprobs: undefined });
      }
      if (tail.stopped) reason = 'stop';
    }
    const n = r.generated.length;
    return {
      id: r.id,
      promptIds: r.prompt,
      ids: r.generated,
      text: r.text,
      finishReason: reason,
      timings: summarizeTimings(r.arrival, Number.isNaN(r.prefillEnd) ? now : r.prefillEnd, r.prompt.length, r.times.subarray(0, n)),
      cachedPromptTokens: r.cachedPromptTokens,
      preemptions: r.preemptions,
      arrival: r.arrival,
      admission: r.admission,
      kvCache: kvStats,
    };
  }
}
