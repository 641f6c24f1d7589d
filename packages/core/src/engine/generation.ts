/**
 * The handle a request returns: iterate it for tokens as they are produced, await `result()` for
 * the whole, `cancel()` to stop it. One class for a context's generation and an engine's request,
 * because they are the same thing: a request running in the engine.
 */
import type { KVCacheStats } from '@legato/kvcache';
import type { GenerationTimings } from './timings.js';

/** Why a generation ended. */
export type FinishReason =
  /** the model produced an end-of-generation token */
  | 'eos'
  /** a stop string completed */
  | 'stop'
  /** `maxTokens` were generated */
  | 'length'
  /** the context is full (no `maxTokens` was given) */
  | 'context'
  /** the signal was aborted, `cancel()` was called, or the iteration was broken off */
  | 'abort';

/** One streamed piece of a generation. */
export interface GeneratedToken {
  /**
   * The token id; `-1` for the one text-only piece that may close a stream: text held back (a
   * possible stop string, an incomplete character) and released when the generation ended on an
   * end-of-generation token or an abort, with no generated token to carry it.
   */
  readonly id: number;
  /** Text this token completes; '' while a multi-byte character is incomplete or a stop string may be starting. */
  readonly text: string;
  /** 0-based index among generated tokens (for the closing text-only piece: the number of tokens). */
  readonly index: number;
  /** `performance.now()` when the token was emitted. */
  readonly time: number;
  /** Natural log of the token's probability under the model (when `logprobs` was requested). */
  readonly logprob?: number;
  /** The most likely tokens at this position, most likely first (when `logprobs` > 0 was requested). */
  readonly topLogprobs?: readonly { readonly id: number; readonly logprob: number }[];
}

export interface GenerationResult {
  /** The request's id within its engine. */
  readonly id: number;
  readonly promptIds: number[];
  readonly ids: number[];
  /** Exactly the concatenation of the streamed pieces' text. */
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly timings: GenerationTimings;
  /** Prompt tokens whose K/V came from the prefix cache instead of being computed. */
  readonly cachedPromptTokens: number;
  /** Times this request was preempted (its KV freed and recomputed later). */
  readonly preemptions: number;
  /** `performance.now()` when the request was submitted. */
  readonly arrival: number;
  /** `performance.now()` when the request got its first KV block (NaN if it never did). */
  readonly admission: number;
  /** The KV pool's statistics when the request ended. */
  readonly kvCache?: KVCacheStats;
}

/** A streaming generation. Iterate it once; `result()` may be awaited any time, before or after. */
export class Generation implements AsyncIterable<GeneratedToken> {
  private readonly queue: GeneratedToken[] = [];
  private head = 0;
  private wake: (() => void) | undefined;
  private ended = false;
  private error: unknown;
  private readonly done: Promise<GenerationResult>;
  private resolveDone!: (r: GenerationResult) => void;
  private rejectDone!: (e: unknown) => void;
  private cancelled = false;

  /** @internal built by the engine; `onCancel` asks it to end the request. */
  constructor(
    readonly id: number,
    private readonly onCancel: () => void,
  ) {
    this.done = new Promise((res, rej) => {
      this.resolveDone = res;
      this.rejectDone = rej;
    });
    this.done.catch(() => undefined); // surfaced through result() and iteration, not as unhandled
  }

  /**
   * Ends the request as soon as the engine sees it (before its next step): its KV blocks are freed
   * and `result()` resolves with `finishReason: 'abort'` and what was generated so far. Idempotent;
   * no effect once the generation has ended.
   */
  cancel(): void {
    if (this.cancelled || this.ended) return;
    this.cancelled = true;
    this.onCancel();
  }

  /** Whether `cancel()` was called. */
  get isCancelled(): boolean {
    return this.cancelled;
  }

  /** Whether the generation has ended (its result is settled). */
  get isDone(): boolean {
    return this.ended;
  }

  /** @internal */
  push(t: GeneratedToken): void {
    this.queue.push(t);
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** @internal settles the generation: a result, or the error that ended it. */
  settle(r: GenerationResult | undefined, error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (r === undefined) {
      this.error = error;
      this.rejectDone(error);
    } else this.resolveDone(r);
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /**
   * The whole generation: ids, text, finish reason, timings. Resolves when it ends (an abort
   * resolves too, with `finishReason: 'abort'`); rejects only when the engine failed (a
   * `DisposedError` when the model or engine was disposed under it, a backend error).
   */
  result(): Promise<GenerationResult> {
    return this.done;
  }

  /** Tokens as they are produced. Breaking out of the loop cancels the generation. */
  [Symbol.asyncIterator](): AsyncIterator<GeneratedToken> {
    return {
      next: () => this.next(),
      return: async () => {
        this.cancel();
        return { done: true, value: undefined };
      },
    };
  }

  private async next(): Promise<IteratorResult<GeneratedToken>> {
    for (;;) {
      if (this.head < this.queue.length) {
        const t = this.queue[this.head];
        this.queue[this.head++] = undefined as never; // let consumed pieces be collected
        if (this.head === this.queue.length) {
          this.queue.length = 0;
          this.head = 0;
        }
        return { done: false, value: t };
      }
      if (this.ended) {
        if (this.error !== undefined) throw this.error;
        return { done: true, value: undefined };
      }
      await new Promise<void>((r) => (this.wake = r));
    }
  }
}
