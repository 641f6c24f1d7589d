/**
 * Converts whole tensors between ggml types on a piscina worker pool. Quantizing a model is a
 * coarse, throughput-bound job, so plain tasks suffice: each converts a range of rows, reading
 * and writing SharedArrayBuffers directly (quantize-worker.mjs). Every row is encoded on its own,
 * so the output does not depend on the number of threads.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { locatePackageFile, moduleUrl } from '../kernels/module.js';
import type { GGMLType } from '../types.js';
import { checkConversion, convertRows } from './convert-rows.js';

export interface QuantizePoolOptions {
  /** Worker threads; default `os.availableParallelism()`. 1 converts in-process, with no workers. */
  threads?: number;
}

/** One tensor to convert: `rows` rows of `cols` elements, whole tensors in `src` and `dst`. */
export interface TensorConversion {
  readonly src: Uint8Array;
  readonly srcType: GGMLType;
  readonly dst: Uint8Array;
  readonly dstType: GGMLType;
  readonly rows: number;
  readonly cols: number;
}

/** Below this many elements a tensor is converted in-process: a task round trip would cost more. */
const MIN_PARALLEL_ELEMENTS = 1 << 16;
/** Elements per task at least, so that task overhead (~0.1 ms) stays small. */
const MIN_TASK_ELEMENTS = 1 << 15;

interface WorkerTask {
  impl: string;
  tsx?: string;
  src: SharedArrayBuffer;
  srcOffset: number;
  srcLength: number;
  srcType: number;
  dst: SharedArrayBuffer;
  dstOffset: number;
  dstLength: number;
  dstType: number;
  cols: number;
  rowStart: number;
  rowEnd: number;
}

/** Where the workers find `convertRows`: the bundle itself, or the TypeScript source (with tsx). */
function workerModules(): { impl: string; tsx?: string } {
  const here = moduleUrl();
  if (!here.endsWith('.ts')) return { impl: here };
  let tsxDir: string;
  try {
    tsxDir = dirname(createRequire(fileURLToPath(here)).resolve('tsx/package.json'));
  } catch {
    throw new Error('@legato/quant: quantizing on worker threads from the TypeScript sources needs the tsx package');
  }
  return {
    impl: new URL('../quantize/convert-rows.ts', here).href,
    tsx: pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href,
  };
}

function isShared(a: Uint8Array): boolean {
  return typeof SharedArrayBuffer === 'function' && a.buffer instanceof SharedArrayBuffer;
}

export class QuantizePool {
  readonly threads: number;
  private pool: Piscina | undefined;
  private modules: { impl: string; tsx?: string } | undefined;
  private destroyed = false;
  private readonly workerIds = new Set<number>();

  constructor(options: QuantizePoolOptions = {}) {
    this.threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
  }

  /**
   * Converts `job.src` into `job.dst`. With more than one thread both must be views of
   * SharedArrayBuffers. `onRows` is called with the number of rows finished each time a range
   * completes. Throws if a type cannot be read or written or the sizes do not match.
   */
  async convert(job: TensorConversion, onRows?: (rows: number) => void): Promise<void> {
    if (this.destroyed) throw new Error('QuantizePool: used after destroy()');
    const { srcBytes, dstBytes } = checkConversion(job);
    const elements = job.rows * job.cols;
    if (this.threads === 1 || elements < MIN_PARALLEL_ELEMENTS) {
      convertRows({ ...job, rowStart: 0, rowEnd: job.rows });
      onRows?.(job.rows);
      return;
    }
    if (!isShared(job.src) || !isShared(job.dst)) {
      throw new TypeError('QuantizePool: with threads > 1, src and dst must be views of SharedArrayBuffers');
    }
    const pool = this.ensurePool();
    this.modules ??= workerModules();
    // About eight ranges per thread, so a thread slowed by the OS does not hold up the tensor.
    const minRows = Math.ceil(MIN_TASK_ELEMENTS / job.cols);
    const perTask = Math.max(minRows, Math.ceil(job.rows / (this.threads * 8)));
    const tasks: Promise<void>[] = [];
    for (let start = 0; start < job.rows; start += perTask) {
      const task: WorkerTask = {
        ...this.modules,
        src: job.src.buffer as SharedArrayBuffer,
        srcOffset: job.src.byteOffset,
        srcLength: srcBytes,
        srcType: job.srcType,
        dst: job.dst.buffer as SharedArrayBuffer,
        dstOffset: job.dst.byteOffset,
        dstLength: dstBytes,
        dstType: job.dstType,
        cols: job.cols,
        rowStart: start,
        rowEnd: Math.min(job.rows, start + perTask),
      };
      tasks.push(
        pool.run(task).then((id: number) => {
          this.workerIds.add(id);
          onRows?.(task.rowEnd - task.rowStart);
        }),
      );
    }
    await Promise.all(tasks);
  }

  /**
   * Starts the workers and has each load the quantizers now, so that this start-up (significant
   * when they compile the TypeScript sources) overlaps the caller's other work. No-op with 1 thread.
   */
  warmUp(): void {
    if (this.threads === 1 || this.destroyed || this.pool) return;
    let modules: { impl: string; tsx?: string };
    try {
      modules = this.modules ??= workerModules();
    } catch {
      return; // convert() reports it
    }
    const pool = this.ensurePool();
    for (let i = 0; i < this.threads; i++) pool.run({ ...modules, warmUp: true }).catch(() => {});
  }

  /** How many distinct worker threads have run conversions so far (0 when all ran in-process). */
  get workerThreadsUsed(): number {
    return this.workerIds.size;
  }

  /** Stops the workers. Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }

  private ensurePool(): Piscina {
    this.pool ??= new Piscina({
      filename: pathToFileURL(
        locatePackageFile(['../quantize/quantize-worker.mjs', '../src/quantize/quantize-worker.mjs']),
      ).href,
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: 30_000,
      // The worker is plain JavaScript and registers tsx itself when it needs it.
      execArgv: [],
    });
    return this.pool;
  }
}
