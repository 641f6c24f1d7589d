/**
 * The recorded data of one request, and the recorder that builds it while the engine runs.
 *
 * Every time is in milliseconds on the `performance.now()` clock, the clock Node's `gc`
 * performance entries use too, so the two can be compared directly.
 */

/**
 * Why a request ended, as the metrics record it: `@legato/core`'s RequestEndReason (eos, stop, length,
 * context, abort), or 'error' when the engine failed it. Kept as its own name because metrics
 * depends on no engine; other engines' reasons (a remote server's) are recorded as given.
 */
export type RequestEndReason = 'eos' | 'stop' | 'length' | 'context' | 'abort' | 'error' | (string & {});

/** Everything recorded about one request. */
export interface RequestTimeline {
  id: string | number;
  /** When the request reached the server (the client's send time for a client-side bench). */
  arrival: number;
  /** When the scheduler admitted it (left the waiting queue); absent if the engine doesn't say. */
  admission?: number;
  /** Start of its first prefill chunk, NaN when unknown. */
  prefillStart: number;
  /** End of its last prefill chunk, NaN when unknown. */
  prefillEnd: number;
  /** Prompt length in tokens, when known. */
  promptTokens?: number;
  /**
   * Emission time of every output token, ascending. Tokens delivered together in one
   * streamed chunk share the chunk's time.
   */
  tokenTimes: Float64Array;
  /**
   * Tokens per streamed chunk, in order, summing to `tokenTimes.length`. Absent means one
   * token per chunk, the usual case for a local engine.
   */
  chunkTokens?: Uint16Array | number[];
  /** When the request finished (≥ the last token time). */
  finish: number;
  finishReason: RequestEndReason;
}

const DEFAULT_TOKEN_CAPACITY = 256;

/**
 * Records one request. Token times go into a preallocated Float64Array that doubles when
 * full, so the per-token path is a bounds check and a store; sizing `capacity` to the
 * request's max_tokens makes it never grow.
 */
export class RequestRecorder {
  readonly id: string | number;
  arrival: number;
  admission: number | undefined = undefined;
  prefillStart = NaN;
  prefillEnd = NaN;
  promptTokens: number | undefined;
  finish = NaN;
  finishReason: RequestEndReason = '';
  private times: Float64Array;
  private count = 0;
  // Chunk sizes are materialised only once a chunk of more than one token arrives: a
  // local engine streams single tokens and should pay nothing for the chunk column.
  private chunks: Uint16Array | null = null;
  private chunkCount = 0;

  constructor(id: string | number, arrival: number, capacity = DEFAULT_TOKEN_CAPACITY, promptTokens?: number) {
    this.id = id;
    this.arrival = arrival;
    this.promptTokens = promptTokens;
    this.times = new Float64Array(Math.max(1, capacity));
  }

  /** Number of output tokens recorded so far. */
  get tokenCount(): number {
    return this.count;
  }

  /** Time of the most recent token, NaN before the first. */
  get lastTokenTime(): number {
    return this.count > 0 ? this.times[this.count - 1] : NaN;
  }

  /** Records a prefill chunk of this request; the first start and the last end are kept. */
  recordPrefill(start: number, end: number): void {
    if (!(this.prefillStart <= start)) this.prefillStart = start;
    if (!(this.prefillEnd >= end)) this.prefillEnd = end;
  }

  /** Records `tokens` output tokens (one streamed chunk) emitted at `time`. */
  recordTokens(time: number, tokens = 1): void {
    if (tokens < 1) return; // an empty chunk carries no token to time
    const needed = this.count + tokens;
    if (needed > this.times.length) this.times = grow(this.times, needed);
    if (tokens !== 1 && this.chunks === null) this.startChunkColumn();
    if (this.chunks !== null) {
      if (this.chunkCount === this.chunks.length) this.chunks = grow(this.chunks, this.chunkCount + 1);
      this.chunks[this.chunkCount++] = tokens;
    } else {
      this.chunkCount++;
    }
    for (let i = 0; i < tokens; i++) this.times[this.count++] = time;
  }

  /** Marks the request finished. */
  recordFinish(time: number, reason: RequestEndReason): void {
    this.finish = time;
    this.finishReason = reason;
  }

  /**
   * The timeline recorded so far. Arrays are views of the recorder's buffers (no copy);
   * they stay valid, but a later token may go to a new buffer the view doesn't see.
   * An unfinished request reports its last token time (or arrival) as `finish`.
   */
  toTimeline(): RequestTimeline {
    const finished = this.finish === this.finish;
    const t: RequestTimeline = {
      id: this.id,
      arrival: this.arrival,
      prefillStart: this.prefillStart,
      prefillEnd: this.prefillEnd,
      tokenTimes: this.times.subarray(0, this.count),
      finish: finished ? this.finish : this.count > 0 ? this.times[this.count - 1] : this.arrival,
      finishReason: finished ? this.finishReason : 'unfinished',
    };
    if (this.admission !== undefined) t.admission = this.admission;
    if (this.promptTokens !== undefined) t.promptTokens = this.promptTokens;
    if (this.chunks !== null) t.chunkTokens = this.chunks.subarray(0, this.chunkCount);
    return t;
  }

  private startChunkColumn(): void {
    this.chunks = new Uint16Array(Math.max(16, this.chunkCount * 2));
    this.chunks.fill(1, 0, this.chunkCount);
  }
}

/** Number of streamed chunks in a timeline. */
export function chunkCount(t: RequestTimeline): number {
  return t.chunkTokens ? t.chunkTokens.length : t.tokenTimes.length;
}

/**
 * Calls `visit(time, tokens)` once per streamed chunk: the chunk's time is that of its last
 * token. With no `chunkTokens`, every token is its own chunk.
 */
export function forEachChunk(t: RequestTimeline, visit: (time: number, tokens: number, chunkIndex: number) => void): void {
  const times = t.tokenTimes;
  const chunks = t.chunkTokens;
  if (!chunks) {
    for (let i = 0; i < times.length; i++) visit(times[i], 1, i);
    return;
  }
  let end = 0;
  for (let k = 0; k < chunks.length; k++) {
    end += chunks[k];
    visit(times[Math.min(end, times.length) - 1], chunks[k], k);
  }
}

function grow<T extends Float64Array | Uint16Array>(a: T, needed: number): T {
  let cap = a.length * 2;
  while (cap < needed) cap *= 2;
  const b = new (a.constructor as { new (n: number): T })(cap);
  b.set(a);
  return b;
}
