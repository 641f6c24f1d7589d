/** Per-generation timing: what a user feels (TTFT, gaps between tokens) and what a benchmark quotes (tokens/s). */
export interface GenerationTimings {
  /** `performance.now()` when generate() started work. */
  readonly start: number;
  readonly promptTokens: number;
  readonly prefillMs: number;
  /** Prompt tokens per second of prefill. */
  readonly prefillTokensPerSecond: number;
  /** Time to first token: start → first emitted token. */
  readonly ttftMs: number;
  /** Emission time of every generated token (`performance.now()`). */
  readonly tokenTimes: Float64Array;
  /** Inter-token latencies: the gap before each token after the first. */
  readonly itlMs: Float64Array;
  /** Generated tokens after the first per second of their decoding: (n − 1) / (last − first). */
  readonly decodeTokensPerSecond: number;
  /** End to end: start → last token. */
  readonly totalMs: number;
}

export function summarizeTimings(start: number, prefillEnd: number, promptTokens: number, tokenTimes: Float64Array): GenerationTimings {
  const n = tokenTimes.length;
  const itl = new Float64Array(Math.max(0, n - 1));
  for (let i = 1; i < n; i++) itl[i - 1] = tokenTimes[i] - tokenTimes[i - 1];
  const prefillMs = prefillEnd - start;
  const decodeSpan = n > 1 ? tokenTimes[n - 1] - tokenTimes[0] : 0;
  return {
    start,
    promptTokens,
    prefillMs,
    prefillTokensPerSecond: prefillMs > 0 ? (promptTokens * 1000) / prefillMs : 0,
    ttftMs: n > 0 ? tokenTimes[0] - start : NaN,
    tokenTimes: Float64Array.from(tokenTimes),
    itlMs: itl,
    decodeTokensPerSecond: decodeSpan > 0 ? ((n - 1) * 1000) / decodeSpan : 0,
    totalMs: n > 0 ? tokenTimes[n - 1] - start : prefillMs,
  };
}
