/**
 * Latency metric definitions, per request and pooled over a run.
 *
 * Benchmark tools agree on TTFT and E2E but not on "inter-token latency"; each variant is
 * implemented under its tool's name so a number can be compared with the tool it came from:
 *
 * | name | definition | source |
 * |---|---|---|
 * | {@link ttft} | first token − arrival | all tools |
 * | {@link e2e} | finish − arrival | all tools |
 * | {@link tpot} (vLLM's TPOT) | (E2E − TTFT)/(tokens − 1), E2E taken at the last token | vLLM `bench serve` |
 * | {@link vllmItl} | every gap between consecutive chunks, pooled over all requests | vLLM `bench serve` |
 * | {@link genaiPerfItl} | each gap divided by the tokens in the later chunk, pooled | GenAI-Perf (per-response ITL) |
 * | {@link llmperfItl} | per request: (TTFT + all gaps)/tokens, i.e. the mean gap counting TTFT | LLMPerf |
 *
 * With one token per chunk vLLM's and GenAI-Perf's ITL are the same sample.
 */
import { forEachChunk, type RequestTimeline } from './timeline.js';

/** Time to first token: first token − arrival (ms); NaN when no token was produced. */
export function ttft(t: RequestTimeline): number {
  return t.tokenTimes.length > 0 ? t.tokenTimes[0] - t.arrival : NaN;
}

/** End-to-end latency: finish − arrival (ms). */
export function e2e(t: RequestTimeline): number {
  return t.finish - t.arrival;
}

/** Time the request spent waiting to be admitted (admission − arrival), NaN if not recorded. */
export function queueTime(t: RequestTimeline): number {
  return t.admission !== undefined ? t.admission - t.arrival : NaN;
}

/**
 * vLLM's time per output token: (E2E − TTFT)/(tokens − 1) with E2E taken at the last token,
 * i.e. (last token − first token)/(tokens − 1). NaN for fewer than two tokens.
 * Measured to the last token rather than `finish` so that work after the final token
 * (detokenising, freeing the KV cache) doesn't count as token time, as in vLLM.
 */
export function tpot(t: RequestTimeline): number {
  const n = t.tokenTimes.length;
  return n > 1 ? (t.tokenTimes[n - 1] - t.tokenTimes[0]) / (n - 1) : NaN;
}

/**
 * LLMPerf's per-request inter-token latency: the sum of TTFT and every later gap, divided
 * by the output tokens, i.e. (last token − arrival)/tokens. NaN with no tokens.
 *
 * Beware: this is a per-request *mean* that folds TTFT in, and LLMPerf then aggregates
 * these means over requests. A 100 ms stall among 200 tokens of 20 ms moves it by
 * under 2 %, while the stall is the one thing the user noticed; use the pooled
 * {@link vllmItl} tail (P99, max) to see stutter.
 */
export function llmperfItl(t: RequestTimeline): number {
  const n = t.tokenTimes.length;
  return n > 0 ? (t.tokenTimes[n - 1] - t.arrival) / n : NaN;
}

/** Output tokens per second seen by this request's user: tokens/E2E. NaN when E2E is 0. */
export function requestTokensPerSecond(t: RequestTimeline): number {
  const d = e2e(t);
  return d > 0 ? (t.tokenTimes.length * 1000) / d : NaN;
}

/** Total output tokens of a run. */
export function totalOutputTokens(timelines: readonly RequestTimeline[]): number {
  let n = 0;
  for (const t of timelines) n += t.tokenTimes.length;
  return n;
}

/** Wall-clock span of a run: last finish − first arrival (ms). */
export function runDuration(timelines: readonly RequestTimeline[]): number {
  let start = Infinity;
  let end = -Infinity;
  for (const t of timelines) {
    if (t.arrival < start) start = t.arrival;
    if (t.finish > end) end = t.finish;
  }
  return timelines.length > 0 ? end - start : NaN;
}

/** System output throughput: all output tokens / run duration, tokens per second (vLLM's "output token throughput"). */
export function systemTokensPerSecond(timelines: readonly RequestTimeline[]): number {
  const d = runDuration(timelines);
  return d > 0 ? (totalOutputTokens(timelines) * 1000) / d : NaN;
}

/** Number of inter-chunk gaps of a run, the length {@link vllmItl} and {@link genaiPerfItl} need. */
export function gapCount(timelines: readonly RequestTimeline[]): number {
  let n = 0;
  for (const t of timelines) {
    const chunks = t.chunkTokens ? t.chunkTokens.length : t.tokenTimes.length;
    if (chunks > 1) n += chunks - 1;
  }
  return n;
}

/**
 * vLLM's ITL: every gap between consecutive chunks of a request, pooled over all requests
 * (request by request, in order). Writes into `out` when it is large enough
 * (see {@link gapCount}) and returns the filled view.
 */
export function vllmItl(timelines: readonly RequestTimeline[], out?: Float64Array): Float64Array {
  return pooledGaps(timelines, false, out);
}

/**
 * GenAI-Perf's ITL: each gap between consecutive chunks divided by the tokens in the later
 * chunk, pooled over all requests. Equals {@link vllmItl} when every chunk is one token;
 * with multi-token chunks it spreads a chunk's wait over its tokens.
 */
export function genaiPerfItl(timelines: readonly RequestTimeline[], out?: Float64Array): Float64Array {
  return pooledGaps(timelines, true, out);
}

function pooledGaps(timelines: readonly RequestTimeline[], perToken: boolean, out?: Float64Array): Float64Array {
  const n = gapCount(timelines);
  const dst = out && out.length >= n ? out : new Float64Array(n);
  let k = 0;
  for (const t of timelines) {
    let prev = NaN;
    forEachChunk(t, (time, tokens, index) => {
      if (index > 0) dst[k++] = perToken ? (time - prev) / tokens : time - prev;
      prev = time;
    });
  }
  return dst.subarray(0, k);
}

/** Applies a per-request definition to every request. */
export function perRequest(timelines: readonly RequestTimeline[], metric: (t: RequestTimeline) => number): Float64Array {
  const out = new Float64Array(timelines.length);
  for (let i = 0; i < timelines.length; i++) out[i] = metric(timelines[i]);
  return out;
}
