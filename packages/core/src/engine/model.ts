/** Loading a model: GGUF → arena → bound weights → tokenizer → compute backend. */
import { Arena, ReferenceBackend, WasmBackend, wasmKernelsSupported, type ComputeBackend } from '@legato/quant';
import type { GGUFFile, LoadProgress } from '../gguf/load.js';
import { readLlamaConfig, type LlamaConfig } from '../model/config.js';
import { bindLlamaWeights, type LlamaWeights } from '../model/weights.js';
import { Tokenizer } from '../tokenizer/index.js';
import { applyChatTemplate, chatTemplateFromMetadata, type ApplyChatTemplateOptions, type ChatMessage, type ChatTemplateSource } from '../chat/index.js';
import { InvalidOptionError } from '../errors.js';
import { LlamaContext, type ContextOptions } from './context.js';
import type { InferenceEngine } from './engine.js';
import { DisposedError } from './errors.js';
import { checkModelSource, modelSourceLabel, readModelFile, type ModelSource } from './model-source.js';

export type { ModelSource } from './model-source.js';

export interface LoadModelOptions {
  /** Called as tensor data streams into memory. */
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  /**
   * How matrix products are computed: 'wasm' (WebAssembly SIMD kernels across worker threads,
   * llama.cpp's quantized-activation scheme), 'reference' (plain TypeScript, f32 math), a backend
   * instance, or a factory given the arena. Default 'auto': 'wasm' where the runtime supports
   * WebAssembly SIMD and shared memory, else 'reference'.
   */
  backend?: 'auto' | 'wasm' | 'reference' | ComputeBackend | ((arena: Arena) => ComputeBackend | Promise<ComputeBackend>);
  /** Threads for the 'wasm' backend, the calling thread included. Default: one per core; 1 = no workers. */
  threads?: number;
}

function checkLoadOptions(o: unknown): LoadModelOptions {
  if (o === undefined) return {};
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new InvalidOptionError('options', 'an object', o);
  const opts = o as LoadModelOptions;
  if (opts.threads !== undefined && (typeof opts.threads !== 'number' || !Number.isSafeInteger(opts.threads) || opts.threads < 1 || opts.threads > 256)) {
    throw new InvalidOptionError('threads', 'an integer in [1, 256]', opts.threads);
  }
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') throw new InvalidOptionError('onProgress', 'a function', opts.onProgress);
  const b = opts.backend;
  if (b !== undefined && b !== 'auto' && b !== 'wasm' && b !== 'reference' && typeof b !== 'function' && (typeof b !== 'object' || b === null)) {
    throw new InvalidOptionError('backend', "'auto', 'wasm', 'reference', a backend or a factory", b);
  }
  return opts;
}

async function createBackend(arena: Arena, o: LoadModelOptions): Promise<ComputeBackend> {
  const b = o.backend ?? 'auto';
  if (typeof b === 'function') return b(arena);
  if (typeof b === 'object') return b;
  if (b === 'reference' || (b === 'auto' && !wasmKernelsSupported())) return new ReferenceBackend();
  return WasmBackend.create(arena, { threads: o.threads });
}

export class LlamaModel {
  private disposed = false;
  private readonly engines = new Set<InferenceEngine>();

  private constructor(
    readonly path: string,
    readonly file: GGUFFile,
    readonly config: LlamaConfig,
    readonly weights: LlamaWeights,
    readonly tokenizer: Tokenizer,
    readonly backend: ComputeBackend,
  ) {}

  /** GGUF metadata as plain values. */
  get metadata(): Record<string, unknown> {
    return this.file.header.metadata;
  }

  get arena(): Arena {
    return this.file.arena;
  }

  static async load(source: ModelSource, options?: LoadModelOptions): Promise<LlamaModel> {
    options = checkLoadOptions(options);
    checkModelSource(source);
    const path = modelSourceLabel(source);
    let config: LlamaConfig | undefined;
    let tokenizer: Tokenizer | undefined;
    // Legato's own backends start with the arena, while the data is read: starting the worker
    // threads takes ~80 ms that would otherwise follow the read. (A caller's backend or factory
    // gets the arena with the weights in it, as before.)
    let early: Promise<ComputeBackend> | undefined;
    let file: GGUFFile;
    let weights: LlamaWeights;
    try {
      file = await readModelFile(source, {
        onProgress: options.onProgress,
        signal: options.signal,
        // Validate metadata and architecture before reading megabytes of tensor data.
        onHeader: (header) => {
          config = readLlamaConfig(header);
          tokenizer = Tokenizer.fromMetadata(header.metadata);
        },
        onArena: (arena) => {
          if (typeof options.backend !== 'object' && typeof options.backend !== 'function') {
            early = createBackend(arena, options);
            early.catch(() => {}); // awaited below; a failed read must not leave it unhandled
          }
        },
      });
      if (!config || !tokenizer) throw new Error('unreachable: the header was not checked');
      weights = bindLlamaWeights(file, config);
    } catch (e) {
      void early?.then((b) => b.dispose(), () => {});
      throw e;
    }
    const backend = await (early ?? createBackend(file.arena, options));
    return new LlamaModel(path, file, config, weights, tokenizer, backend);
  }

  /**
   * A context: one sequence at a time, with its own KV cache and scratch, sized once here.
   * @example
   * const ctx = model.createContext({ contextSize: 512 });
   * const r = await ctx.generate('Once upon a time', { maxTokens: 32 }).result();
   */
  createContext(options: ContextOptions = {}): LlamaContext {
    if (this.disposed) throw new DisposedError('model');
    return new LlamaContext(this, options);
  }

  /** @internal every engine (and so every context) registers, so `dispose` can end them first. */
  registerEngine(e: InferenceEngine): void {
    this.engines.add(e);
  }

  /** @internal */
  unregisterEngine(e: InferenceEngine): void {
    this.engines.delete(e);
  }

  tokenize(text: string, opts?: { addSpecial?: boolean; parseSpecial?: boolean }): number[] {
    return this.tokenizer.encode(text, opts);
  }

  detokenize(ids: ArrayLike<number>): string {
    return this.tokenizer.decode(ids);
  }

  private chatFormat?: ChatTemplateSource;

  /**
   * The prompt text for a conversation, as Hugging Face's `apply_chat_template(..., tokenize=False)`
   * renders it with the file's `tokenizer.chat_template` (llama.cpp's built-in fallback when the
   * file has none). Tokenize it with `chatPromptIds(model, text)` from `chat/`, which parses special
   * tokens and keeps BOS single. Throws `ChatTemplateError` when the template refuses the conversation.
   */
  applyChatTemplate(messages: readonly ChatMessage[], options?: ApplyChatTemplateOptions): string {
    this.chatFormat ??= chatTemplateFromMetadata(this.metadata);
    return applyChatTemplate(this.chatFormat, messages, options);
  }

  /**
   * Ends every context and engine of this model (their running generations reject with a
   * `DisposedError`), ends the backend's workers and drops the weights. Idempotent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const e of [...this.engines]) e.dispose('model');
    this.backend.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }
}

/**
 * Loads a GGUF model.
 * @example
 * const model = await loadModel('model.gguf', { onProgress: (p) => console.log(p.fraction) });
 * const ctx = model.createContext({ contextSize: 512 });
 * for await (const t of ctx.generate('Once upon a time', { maxTokens: 32 })) process.stdout.write(t.text);
 * model.dispose();
 */
export function loadModel(source: ModelSource, options?: LoadModelOptions): Promise<LlamaModel> {
  return LlamaModel.load(source, options);
}
