/** Loading a model: GGUF → arena → bound weights → tokenizer → compute backend. */
import { Arena, ReferenceBackend, WasmBackend, wasmKernelsSupported, type ComputeBackend } from '@legato/quant';
import { readGGUFHeader } from '../gguf/header.js';
import { loadGGUF, type GGUFFile, type LoadProgress } from '../gguf/load.js';
import { readLlamaConfig, type LlamaConfig } from '../model/config.js';
import { bindLlamaWeights, type LlamaWeights } from '../model/weights.js';
import { Tokenizer } from '../tokenizer/index.js';
import { LlamaContext, type ContextOptions } from './context.js';
import { DisposedError } from './errors.js';

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

async function createBackend(arena: Arena, o: LoadModelOptions): Promise<ComputeBackend> {
  const b = o.backend ?? 'auto';
  if (typeof b === 'function') return b(arena);
  if (typeof b === 'object') return b;
  if (b === 'reference' || (b === 'auto' && !wasmKernelsSupported())) return new ReferenceBackend();
  if (o.threads !== undefined && (!Number.isInteger(o.threads) || o.threads < 1)) throw new RangeError(`threads must be a positive integer, got ${o.threads}`);
  return WasmBackend.create(arena, { threads: o.threads });
}

export class LlamaModel {
  private disposed = false;
  private readonly contexts = new Set<LlamaContext>();

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

  static async load(path: string, options: LoadModelOptions = {}): Promise<LlamaModel> {
    // Validate metadata and architecture before reading megabytes of tensor data.
    const header = readGGUFHeader(path);
    const config = readLlamaConfig(header);
    const tokenizer = Tokenizer.fromMetadata(header.metadata);
    const file = await loadGGUF(path, { onProgress: options.onProgress, signal: options.signal });
    const weights = bindLlamaWeights(file, config);
    const backend = await createBackend(file.arena, options);
    return new LlamaModel(path, file, config, weights, tokenizer, backend);
  }

  /** A context: its own KV cache and scratch, sized once here. */
  createContext(options: ContextOptions = {}): LlamaContext {
    if (this.disposed) throw new DisposedError('model');
    const ctx = new LlamaContext(this, options, () => this.contexts.delete(ctx));
    this.contexts.add(ctx);
    return ctx;
  }

  tokenize(text: string, opts?: { addSpecial?: boolean; parseSpecial?: boolean }): number[] {
    return this.tokenizer.encode(text, opts);
  }

  detokenize(ids: ArrayLike<number>): string {
    return this.tokenizer.decode(ids);
  }

  /** Frees every context, ends the backend's workers and drops the weights. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const c of [...this.contexts]) c.dispose();
    this.backend.dispose();
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
export function loadModel(path: string, options?: LoadModelOptions): Promise<LlamaModel> {
  return LlamaModel.load(path, options);
}
