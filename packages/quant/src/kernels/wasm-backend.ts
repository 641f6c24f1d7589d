/**
 * The fast backend: WASM SIMD128 kernels over the arena's shared memory, with the rows of each
 * matmul split across a team of threads.
 *
 * Quantized weights are multiplied the way llama.cpp's CPU path does it: each activation row is
 * quantized once per matmul to 8-bit integers with one scale per 32 values, the inner loops
 * multiply-accumulate integers, and each 32-value group costs one float multiply. Results
 * therefore differ from the f32 reference by the activation rounding: |error| ≤ Σ|w|·d/2 with d
 * the group's max|x|/127. F32/F16/BF16 weights use the f32 activations directly.
 */
import { hardwareThreads } from '#platform/runtime';
import { threadsUnavailableReason } from '#platform/threads';
import { ARENA_RESERVED_BYTES } from '../arena.js';
import type { Arena } from '../arena.js';
import type { AttentionShape, ComputeBackend, WeightRef } from '../backend.js';
import { kvGGMLType, kvTypeUnsupportedReason, type KVType } from '../kv-types.js';
import { ReferenceBackend, swigluRef } from '../reference/backend.js';
import { matmulRef } from '../reference/matmul.js';
import { GGMLType, rowBytes, typeName } from '../types.js';
import { OP_ATTENTION, OP_MATMUL, OP_QUANTIZE, OP_SWIGLU, f32Bits } from '../threads/protocol.mjs';
import { WorkerTeam } from '../threads/team.js';
import type { WorkerFault } from '../threads/team.js';
import { compileKernelModule, instantiateKernels, isRelaxedKernelModule, kernelModule, wasmKernelsSupported } from './module.js';
import type { KernelExports } from './module.js';

export interface WasmBackendOptions {
  /**
   * Threads per matmul, the calling thread included. Defaults to the runtime's core count;
   * 1 starts no workers.
   */
  threads?: number;
  /**
   * The kernel module to run (plainKernelModule() or relaxedKernelModule() from ./module.js);
   * defaults to kernelModule(), the relaxed-SIMD one where the runtime supports it.
   */
  module?: WebAssembly.Module;
}

/** Rows per chunk are a multiple of this, so threads write whole cache lines of the output. */
const ROW_CHUNK = 16;

/**
 * Chunks per thread of a single-token matmul (decode): few and long, since a matrix-vector product
 * is bound by streaming the weights and every chunk start costs the prefetchers their ramp-up
 * (on 2 cores, two per thread made a TinyLlama-1.1B decode step's matmuls ~10% faster than
 * eight); prefill is compute-bound and keeps the team's finer split.
 */
const DECODE_CHUNKS_PER_THREAD = 2;

/** Below this many multiply-adds a matmul runs on the calling thread alone. */
const MIN_PARALLEL_MACS = 1 << 18;

/**
 * Below this many multiply-adds (q·k and a·v, all heads, all tokens) attention runs on the calling
 * thread alone: a job costs the team a few microseconds to start and join.
 */
const MIN_PARALLEL_ATTENTION_MACS = 1 << 16;

/**
 * Below this many elements SwiGLU runs on the calling thread alone (~1 ns each in SIMD, so a decode
 * step's few thousand cost less than starting a job); chunks are a multiple of SWIGLU_CHUNK.
 */
const MIN_PARALLEL_SWIGLU = 1 << 15;
const SWIGLU_CHUNK = 1024;

/** Below this many tokens per thread, activations are quantized on the calling thread alone. */
const MIN_TOKENS_PER_QUANTIZE_THREAD = 4;

/** The one-thread fallback is announced once per process, not once per model. */
let warnedSingleThread = false;

export class WasmBackend implements ComputeBackend {
  readonly name: string;
  /** Threads a matmul is split across once the workers are up. */
  readonly threads: number;
  /** Why more threads were asked for but only the calling thread is used (a browser page that is not cross-origin isolated). */
  readonly singleThreadReason: string | undefined;
  private readonly arena: Arena;
  private readonly kernels: KernelExports;
  private readonly team: WorkerTeam;
  /** Per ggml type id: 0 no kernel, 1 kernel on f32 activations, 2 kernel on quantized activations. */
  private readonly kernelKind = new Uint8Array(256);
  private refScratch = new Float32Array(0);
  private refAttention: ReferenceBackend | undefined;
  /** Arena region for quantized activations and for staging arrays that live outside the arena. */
  private scratch = 0;
  private scratchBytes = 0;
  /** The last two buffer objects seen to be the arena's (views made before and after a grow). */
  private readonly arenaBuffers: (ArrayBufferLike | undefined)[] = [undefined, undefined];
  private strideCols = -1;
  private strideBytes = 0;
  private disposed = false;

  /** Creates a backend and waits until its worker threads are serving. */
  static async create(arena: Arena, options: WasmBackendOptions = {}): Promise<WasmBackend> {
    // Compiled asynchronously first: a browser's main thread cannot compile it synchronously.
    if (!options.module && wasmKernelsSupported()) await compileKernelModule();
    const backend = new WasmBackend(arena, options);
    await backend.ready();
    return backend;
  }

  /**
   * Usable at once: until the workers have started (see `ready()`), matmuls run on the calling
   * thread alone. Throws when the runtime lacks WebAssembly SIMD128 or shared memory.
   */
  constructor(arena: Arena, options: WasmBackendOptions = {}) {
    if (!wasmKernelsSupported()) {
      throw new Error('WasmBackend needs WebAssembly SIMD128 and shared memory; use ReferenceBackend instead');
    }
    this.arena = arena;
    const module = options.module ?? kernelModule();
    this.kernels = instantiateKernels(arena.memory, module);
    for (let t = 0; t < this.kernelKind.length; t++) {
      if (this.kernels.hasKernel(t) === 1) this.kernelKind[t] = this.kernels.usesQuantizedActivations(t) === 1 ? 2 : 1;
    }
    let threads = Math.max(1, Math.floor(options.threads ?? hardwareThreads()));
    const noThreads = threads > 1 ? threadsUnavailableReason() : undefined;
    if (noThreads !== undefined) {
      threads = 1;
      this.singleThreadReason = noThreads;
      if (!warnedSingleThread) {
        warnedSingleThread = true;
        console.warn(`Legato runs on one thread: ${noThreads}.`);
      }
    }
    this.threads = threads;
    this.team = new WorkerTeam({ threads: this.threads, memory: arena.memory, module, kernels: this.kernels });
    const simd = isRelaxedKernelModule(module) ? 'wasm-relaxed-simd' : 'wasm-simd';
    this.name = this.threads === 1 ? (noThreads !== undefined ? `${simd} (single-thread fallback)` : simd) : `${simd}×${this.threads}`;
  }

  /** Resolves once every worker thread is serving; rejects if one failed to start. */
  ready(): Promise<void> {
    return this.team.ready();
  }

  /**
   * Threads taking part in matmuls right now: the calling thread plus the workers serving (fewer
   * while they start or after one died; 0 once disposed).
   */
  get activeThreads(): number {
    return this.team.activeThreads;
  }

  /** Chunks of work the worker threads (not the calling thread) have run: shows they take part. */
  get workerChunks(): number {
    return this.team.workerChunks;
  }

  /**
   * Test hook for crash recovery: the next worker thread to claim part of a job exits holding it
   * ('exit-on-claim'; that job, and so the model step, throws WorkerCrashedError and the worker is
   * restarted) or fails it as a trapping kernel would ('throw-on-claim').
   */
  injectWorkerFault(fault: WorkerFault): void {
    this.team.injectFault(fault);
  }

  /**
   * Test hook for crash recovery: terminates worker thread `index` (0-based) as a crash would,
   * after `delayMs`; resolves once it has exited and, if it is restarted, serves again.
   */
  terminateWorker(index: number, delayMs = 0): Promise<void> {
    return this.team.terminateWorker(index, delayMs);
  }

  /** True when `type` runs in WASM; other types fall back to the reference matmul. */
  hasKernel(type: GGMLType): boolean {
    return this.kernelKind[type] !== 0;
  }

  /**
   * out[t·rows + r] = Σ_c W[r][c]·x[t·cols + c]. `w.data`, `x` and `out` should be views of the
   * arena; `x` and `out` that are not get staged through arena scratch (a copy per call), and
   * weights outside the arena or of a type without a kernel go through the reference matmul.
   */
  matmul(w: WeightRef, x: Float32Array, nTokens: number, out: Float32Array): void {
    if (this.disposed) throw new Error('WasmBackend: used after dispose()');
    const { type, rows, cols } = w;
    const stride = rowBytes(type, cols);
    if (w.data.length < rows * stride) {
      throw new RangeError(`${w.name}: ${typeName(type)} ${rows}×${cols} needs ${rows * stride} bytes, data has ${w.data.length}`);
    }
    if (x.length < nTokens * cols) throw new RangeError(`${w.name}: x needs ${nTokens * cols} values, has ${x.length}`);
    if (out.length < nTokens * rows) throw new RangeError(`${w.name}: out needs ${nTokens * rows} values, has ${out.length}`);
    if (nTokens === 0 || rows === 0) return;

    const kind = this.kernelKind[type];
    if (kind === 0 || !this.inArena(w.data)) {
      if (this.refScratch.length < cols) this.refScratch = new Float32Array(cols);
      matmulRef(type, w.data, 0, rows, cols, x, 0, nTokens, out, 0, this.refScratch);
      return;
    }

    const quantized = kind === 2;
    const actBytes = quantized ? nTokens * this.actStride(cols) : 0;
    const xStaged = !this.inArena(x);
    const outStaged = !this.inArena(out);
    const xBytes = xStaged ? nTokens * cols * 4 : 0;
    const outBytes = outStaged ? nTokens * rows * 4 : 0;
    const base = this.ensureScratch(actBytes + xBytes + outBytes);
    const xAddr = xStaged ? base + actBytes : x.byteOffset;
    const outAddr = outStaged ? base + actBytes + xBytes : out.byteOffset;
    if (xStaged) this.arena.f32(xAddr, nTokens * cols).set(x.subarray(0, nTokens * cols));

    // Small products (the decode matvecs of a tiny model) finish before a worker would join.
    const threads = nTokens * rows * cols >= MIN_PARALLEL_MACS ? this.team.activeThreads : 1;
    let act = xAddr;
    if (quantized) {
      act = base;
      if (threads > 1 && nTokens >= MIN_TOKENS_PER_QUANTIZE_THREAD * threads) {
        const a = this.team.args;
        a[0] = xAddr; a[1] = cols * 4; a[2] = cols; a[3] = nTokens; a[4] = act;
        this.team.run(OP_QUANTIZE, nTokens, 1);
      } else {
        this.kernels.quantizeActivations(xAddr, cols * 4, cols, nTokens, 0, nTokens, act);
      }
    }
    if (threads > 1) {
      const a = this.team.args;
      a[0] = type; a[1] = w.data.byteOffset; a[2] = stride; a[3] = rows; a[4] = cols; a[5] = act; a[6] = nTokens; a[7] = outAddr;
      this.team.run(OP_MATMUL, rows, ROW_CHUNK, nTokens === 1 ? DECODE_CHUNKS_PER_THREAD : undefined);
    } else {
      this.kernels.matmul(type, w.data.byteOffset, stride, rows, cols, 0, rows, act, nTokens, outAddr);
    }
    if (outStaged) out.set(this.arena.f32(outAddr, nTokens * rows));
  }

  /**
   * ComputeBackend.attention in WASM SIMD (assembly/attention.ts, reading f32, f16 or q8_0 rows in
   * place), its (token, head) items split across the team when the work is large enough. Results
   * do not depend on the thread count: each item is computed whole by one thread. Arguments outside
   * the arena, a head size that is not a multiple of 4, or a soft-cap take the reference path.
   */
  attention(
    shape: AttentionShape, q: Float32Array, kv: Uint8Array, kvType: KVType, rows: Int32Array, lens: Int32Array,
    t0: number, t1: number, out: Float32Array,
  ): void {
    if (this.disposed) throw new Error('WasmBackend: used after dispose()');
    if (t1 <= t0) return;
    const { nHeads, nKVHeads, headDim } = shape;
    const dim = nHeads * headDim;
    if (q.length < t1 * dim || out.length < t1 * dim) throw new RangeError(`attention: q and out need ${t1 * dim} values`);
    const unsupported = kvTypeUnsupportedReason(kvType, headDim);
    if (unsupported !== undefined) throw new RangeError(`attention: ${unsupported}`);
    let work = 0;
    let maxLen = 0;
    for (let t = t0; t < t1; t++) {
      const len = lens[t];
      if (!(len >= 1)) throw new RangeError(`attention: token ${t} sees ${len} positions`);
      if (len > maxLen) maxLen = len;
      work += len;
    }
    if (rows.length < 2 * maxLen) throw new RangeError(`attention: rows covers ${rows.length >> 1} positions, ${maxLen} needed`);
    // The WASM kernel has no soft-cap (Gemma 2): such models take the reference path.
    if ((headDim & 3) !== 0 || nHeads % nKVHeads !== 0 || (shape.softcap ?? 0) > 0 ||
        !this.inArena(q) || !this.inArena(kv) || !this.inArena(rows) || !this.inArena(lens) || !this.inArena(out)) {
      (this.refAttention ??= new ReferenceBackend()).attention(shape, q, kv, kvType, rows, lens, t0, t1, out);
      return;
    }
    const rowBytes = dim * 4;
    const qAddr = q.byteOffset + t0 * rowBytes;
    const outAddr = out.byteOffset + t0 * rowBytes;
    const lensAddr = lens.byteOffset + 4 * t0;
    const items = (t1 - t0) * nHeads;
    const type = kvGGMLType(kvType);
    const threads = 2 * work * dim >= MIN_PARALLEL_ATTENTION_MACS ? this.team.activeThreads : 1;
    if (threads > 1) {
      const a = this.team.args;
      // The job has ten argument slots: the cache type rides in headDim's high half.
      a[0] = qAddr; a[1] = kv.byteOffset; a[2] = rows.byteOffset; a[3] = lensAddr; a[4] = nHeads; a[5] = nKVHeads;
      a[6] = headDim | (type << 16); a[7] = f32Bits(shape.scale); a[8] = outAddr; a[9] = items;
      // Heads of one KV group are consecutive items, so a chunk of whole groups re-reads K/V from cache.
      this.team.run(OP_ATTENTION, items, nHeads / nKVHeads);
    } else {
      this.kernels.attention(qAddr, kv.byteOffset, rows.byteOffset, lensAddr, nHeads, nKVHeads, headDim, shape.scale, outAddr, 0, items, type);
    }
  }

  /**
   * ComputeBackend.swiglu in WASM SIMD (assembly/elementwise.ts; exp from assembly/math.ts, < 1 ulp
   * in f32, where the reference computes it in double), split across the team for prefill-sized
   * inputs. Views outside the arena take the reference path.
   */
  swiglu(gate: Float32Array, up: Float32Array, n: number): void {
    if (this.disposed) throw new Error('WasmBackend: used after dispose()');
    if (gate.length < n || up.length < n) throw new RangeError(`swiglu: gate and up need ${n} values`);
    if (!this.inArena(gate) || !this.inArena(up)) {
      swigluRef(gate, up, n);
      return;
    }
    if (n >= MIN_PARALLEL_SWIGLU && this.team.activeThreads > 1) {
      const a = this.team.args;
      a[0] = gate.byteOffset; a[1] = up.byteOffset; a[2] = n;
      this.team.run(OP_SWIGLU, n, SWIGLU_CHUNK);
    } else {
      this.kernels.swiglu(gate.byteOffset, up.byteOffset, 0, n);
    }
  }

  /** Ends the worker threads and returns the scratch to the arena. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.team.dispose();
    if (this.scratchBytes > 0) this.arena.free(this.scratch);
    this.scratchBytes = 0;
  }

  /** The kernel module's activation row size for `cols`, remembered for the last width asked. */
  private actStride(cols: number): number {
    if (cols !== this.strideCols) {
      this.strideCols = cols;
      this.strideBytes = this.kernels.activationStride(cols);
    }
    return this.strideBytes;
  }

  /**
   * Whether `view` is a view of the arena. A buffer seen for the first time must be shared and
   * carry the kernel module's half→float table at the start (so a foreign SharedArrayBuffer is
   * not mistaken for the arena); the buffers that passed are remembered, so the common case is
   * one identity comparison.
   */
  private inArena(view: ArrayBufferView): boolean {
    const buffer = view.buffer;
    if (buffer === this.arenaBuffers[0] || buffer === this.arenaBuffers[1]) return true;
    // By tag, not instanceof: the SharedArrayBuffer global is absent on a page that is not cross-origin isolated.
    if (Object.prototype.toString.call(buffer) !== '[object SharedArrayBuffer]' || buffer.byteLength < ARENA_RESERVED_BYTES) return false;
    const table = new Float32Array(buffer, 0, 0x10000);
    const ok = table[0x3c00] === 1 && table[0xc000] === -2 && table[0x7bff] === 65504 && table[0x0001] === 2 ** -24;
    if (ok) {
      this.arenaBuffers[1] = this.arenaBuffers[0];
      this.arenaBuffers[0] = buffer;
    }
    return ok;
  }

  /** The scratch region's address, grown (doubling) to at least `bytes`. */
  private ensureScratch(bytes: number): number {
    if (bytes > this.scratchBytes) {
      if (this.scratchBytes > 0) this.arena.free(this.scratch);
      const size = Math.max(bytes, this.scratchBytes * 2);
      this.scratch = this.arena.alloc(size);
      this.scratchBytes = size;
    }
    return this.scratch;
  }
}
