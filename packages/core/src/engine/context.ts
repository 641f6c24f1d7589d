/**
 * A context is one sequence over a one-sequence engine (like node-llama-cpp's context sequence):
 * `generate` submits to the engine, `evaluate` runs teacher-forced batches for logits (eval,
 * perplexity). Its KV pool and scratch are carved from the model's arena once, when it is made.
 */
import type { GcConfig } from '@legato/kvcache';
import type { KVType } from '@legato/quant';
import { InvalidOptionError } from '../errors.js';
import { InferenceEngine, defaultContextSize } from './engine.js';
import { ContextBusyError, DisposedError } from './errors.js';
import { startChat, type ChatOptions } from './chat-session.js';
import type { ChatMessage } from '../chat/index.js';
import type { Generation } from './generation.js';
import type { LlamaModel } from './model.js';
import { isPlainOptions, optionalInteger, type GenerateOptions } from './options.js';

export interface ContextOptions {
  /** Positions the KV cache holds (prompt + generated). Default: the model's training context, at most 4096. */
  contextSize?: number;
  /** Most tokens one forward pass processes; longer prompts are prefilled in chunks. Default 512. */
  batchSize?: number;
  /** Token slots per KV block: 8, 16 or 32. Default 16. */
  blockSize?: number;
  /**
   * Bytes of KV block pool. Default: room for the whole context (for sliding-window models, the
   * window layers get only their window). A finished generation's blocks stay cached until a new
   * one needs the room, so a shared prefix is still reused.
   */
  kvMemoryBytes?: number;
  /** Element type of the cached K/V rows (llama.cpp's `-ctk/-ctv`): 'f16' (default), 'f32' or 'q8_0'. */
  kvType?: KVType;
  /** The KV cache's garbage collector. Default `{ policy: 'eager' }`. */
  gc?: GcConfig;
  /** Reuse the KV blocks of an earlier generation's identical prompt prefix. Default true. */
  prefixCaching?: boolean;
}

export interface EvaluateOptions {
  signal?: AbortSignal;
  /** Called for every position with the logits of the next token (a view valid only during the call). */
  onLogits: (pos: number, logits: Float32Array) => void;
}

export class LlamaContext {
  readonly contextSize: number;
  readonly batchSize: number;
  /** The one-sequence engine every generation of this context runs in. */
  readonly engine: InferenceEngine;
  private disposed = false;
  private busy = false;

  constructor(
    readonly model: LlamaModel,
    options: ContextOptions = {},
  ) {
    if (!isPlainOptions(options)) throw new InvalidOptionError('options', 'an object', options);
    const contextSize = optionalInteger('contextSize', options.contextSize, defaultContextSize(model), 2);
    const batchSize = Math.min(optionalInteger('batchSize', options.batchSize, 512, 1), contextSize);
    this.engine = new InferenceEngine(model, {
      contextSize,
      maxSequences: 1,
      maxBatchTokens: batchSize,
      blockSize: options.blockSize,
      kvMemoryBytes: options.kvMemoryBytes,
      kvType: options.kvType,
      gc: options.gc,
      prefixCaching: options.prefixCaching,
    });
    this.engine.onRequestEnd = () => {
      this.busy = false;
    };
    this.contextSize = contextSize;
    this.batchSize = batchSize;
  }

  /** The KV block pool (statistics, audit). */
  get kvPool() {
    return this.engine.pool;
  }

  /**
   * Streams a completion of `prompt` (text, or token ids used as-is). One generation at a time:
   * another call before this one ends throws `ContextBusyError`. Options are checked here; a bad
   * one throws and leaves the context free.
   * @example
   * for await (const t of ctx.generate('Once upon a time', { maxTokens: 32, temperature: 0 })) process.stdout.write(t.text);
   */
  generate(prompt: string | readonly number[], options?: GenerateOptions): Generation {
    this.check();
    if (this.busy) throw new ContextBusyError();
    const g = this.engine.submit(prompt, options);
    if (!g.isDone) this.busy = true;
    return g;
  }

  /**
   * Streams the assistant's reply to a conversation: rendered with the model's chat template,
   * tokenized with special tokens parsed, ended at the model's end-of-turn token.
   * @example
   * const reply = await ctx.chat([{ role: 'user', content: 'Hi!' }], { maxTokens: 64 }).result();
   */
  chat(messages: readonly ChatMessage[], options?: ChatOptions): Generation {
    this.check();
    return startChat(this, messages, options);
  }

  /** Teacher-forced logits for every position of `ids` (from position 0). */
  async evaluate(ids: readonly number[], options: EvaluateOptions): Promise<void> {
    this.check();
    if (!isPlainOptions(options) || typeof options.onLogits !== 'function') throw new InvalidOptionError('onLogits', 'a function', options?.onLogits);
    if (this.busy) throw new ContextBusyError();
    this.busy = true;
    try {
      await this.engine.evaluate(ids, options.onLogits, options.signal, this.batchSize);
    } finally {
      this.busy = false;
    }
  }

  private check(): void {
    if (this.disposed) throw new DisposedError('context');
    if (this.model.isDisposed) throw new DisposedError('model');
  }

  /** Returns the KV cache and scratch to the model's arena; a running generation rejects with `DisposedError`. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.engine.dispose('context');
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
