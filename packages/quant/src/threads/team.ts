/**
 * A team of kernel threads over one shared memory: the main thread plus `threads - 1` workers.
 *
 * piscina only manages the workers' lifecycle: each worker gets one long-running "serve" task
 * (kernel-worker.mjs). Jobs are handed out through a shared control block (protocol.mjs) instead
 * of task messages, because a decode step has hundreds of parallel regions and a task round trip
 * (20–190 µs) costs more than the work, while a spin on shared memory costs under a microsecond.
 * The main thread works on every job too and returns when all its chunks are done.
 */
import { Piscina } from 'piscina';
import {
  ARGS, CHUNK_SIZE, CHUNKS, CONTROL_INTS, DONE, FAILED, GEN, MAIN_WAITING, MAX_CHUNKS, NEXT, OP, READY,
  SHUTDOWN, SLEEPERS, WORKER_CHUNKS, firstClaim, runChunk, runChunks, waitChange,
} from './protocol.mjs';
import type { JobKernels } from './protocol.mjs';
import { locatePackageFile } from '../kernels/module.js';

/** Atomics.waitAsync (Node ≥ 16) is newer than the ES2023 lib this package compiles against. */
type WaitAsync = (a: Int32Array, index: number, value: number, timeout: number) => { value: Promise<string> | string };
function waitAsync(a: Int32Array, index: number, value: number, timeout: number): Promise<string> | string {
  return (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync(a, index, value, timeout).value;
}

/**
 * A job made no progress for `stallTimeoutMs`: a worker died or hung inside a chunk. The job's
 * output is incomplete; the team has stopped its workers and runs later jobs on the calling thread.
 */
export class WorkerStalledError extends Error {
  constructor(readonly op: number, readonly chunksDone: number, readonly chunks: number, readonly waitedMs: number) {
    super(`kernel job ${op} stalled: ${chunksDone} of ${chunks} chunks done and none finished in ${waitedMs} ms ` +
      '(a worker thread died or hung); its workers were stopped and the team continues on one thread');
    this.name = 'WorkerStalledError';
  }
}

/** Default WorkerTeamOptions.stallTimeoutMs: far beyond any chunk (the largest take ~0.1 s). */
const DEFAULT_STALL_MS = 30_000;

export interface WorkerTeamOptions {
  /** Threads including the main thread (≥ 1). */
  threads: number;
  /** The arena's shared memory, which every worker's kernel instance imports. */
  memory: WebAssembly.Memory;
  /** The compiled kernel module (shared, not recompiled, by the workers). */
  module: WebAssembly.Module;
  /** The main thread's own instance of the kernels. */
  kernels: JobKernels;
  /**
   * How long the calling thread waits for the next chunk of a job to finish before it declares
   * the job stalled (WorkerStalledError) instead of waiting forever. Default 30 s.
   */
  stallTimeoutMs?: number;
}

export class WorkerTeam {
  readonly threads: number;
  /**
   * The next job's arguments (see protocol.mjs for each op's list): fill them, then call `run`.
   * Addresses may exceed 2^31; storing them here keeps their 32-bit patterns.
   */
  readonly args: Int32Array;

  private readonly ctl: Int32Array;
  private readonly kernels: JobKernels;
  private readonly workers: number;
  private pool: Piscina | undefined;
  private readonly readyPromise: Promise<void>;
  private allReady: boolean;
  private failure: unknown;
  private disposed = false;
  private readonly stallMs: number;

  constructor(options: WorkerTeamOptions) {
    this.threads = Math.max(1, Math.floor(options.threads));
    this.workers = this.threads - 1;
    this.kernels = options.kernels;
    this.stallMs = options.stallTimeoutMs ?? DEFAULT_STALL_MS;
    this.ctl = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
    this.args = this.ctl.subarray(ARGS, NEXT);
    this.allReady = this.workers === 0;
    if (this.workers === 0) {
      this.readyPromise = Promise.resolve();
      return;
    }
    this.pool = new Piscina({
      filename: locatePackageFile(['../threads/kernel-worker.mjs', '../src/threads/kernel-worker.mjs']),
      minThreads: this.workers,
      maxThreads: this.workers,
      concurrentTasksPerWorker: 1,
      idleTimeout: 2 ** 31 - 1,
      atomics: 'disabled',
      recordTiming: false,
      // The worker is plain JavaScript: spare it the parent's loaders (tsx, test runners).
      execArgv: [],
    });
    const control = this.ctl.buffer as SharedArrayBuffer;
    const served: Promise<unknown>[] = [];
    for (let i = 0; i < this.workers; i++) {
      served.push(this.pool.run({ memory: options.memory, module: options.module, control }));
    }
    const failed = Promise.race(served).then(
      () => { if (!this.disposed) throw new Error('a kernel worker stopped serving'); },
      (err: unknown) => { throw err; },
    );
    failed.catch((err: unknown) => { if (!this.disposed) this.failure = err; });
    this.readyPromise = Promise.race([this.waitReady(), failed.then(() => undefined)]);
    this.readyPromise.catch(() => {});
  }

  /** Resolves when every worker is serving (jobs run on the main thread alone until then). */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  /** Threads that take part in jobs right now (1 until the workers are ready, 0 once disposed). */
  get activeThreads(): number {
    if (this.disposed) return 0;
    return this.refreshReady() ? this.threads : 1;
  }

  /** Chunks the workers (not the main thread) have run so far. */
  get workerChunks(): number {
    return Atomics.load(this.ctl, WORKER_CHUNKS);
  }

  /**
   * Runs job `op` (with the arguments in `args`) over `items` rows or tokens, cut into about
   * `chunksPerThread` chunks per thread (each a multiple of `minChunk` items) that all threads
   * claim; returns when every chunk is done. More chunks rebalance better when a thread is
   * descheduled; fewer, longer ones stream weights better (each chunk restarts the prefetchers).
   */
  run(op: number, items: number, minChunk: number, chunksPerThread = 8): void {
    if (this.disposed) throw new Error('WorkerTeam: used after dispose()');
    const ctl = this.ctl;
    ctl[OP] = op;
    if (!this.refreshReady()) {
      ctl[CHUNKS] = 1;
      ctl[CHUNK_SIZE] = items;
      runChunk(this.kernels, ctl, 0);
      return;
    }
    let size = Math.max(minChunk, Math.ceil(items / (this.threads * chunksPerThread * minChunk)) * minChunk);
    if (Math.ceil(items / size) > MAX_CHUNKS) size = Math.ceil(items / MAX_CHUNKS / minChunk) * minChunk;
    const chunks = Math.ceil(items / size);
    ctl[CHUNKS] = chunks;
    ctl[CHUNK_SIZE] = size;
    const gen = (ctl[GEN] + 1) | 0;
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, FAILED, 0);
    Atomics.store(ctl, NEXT, firstClaim(gen));
    Atomics.store(ctl, GEN, gen);
    if (Atomics.load(ctl, SLEEPERS) > 0) Atomics.notify(ctl, GEN);
    let mainError: unknown;
    try {
      runChunks(this.kernels, ctl, gen, -1);
    } catch (err) {
      mainError = err;
    }
    let done = Atomics.load(ctl, DONE);
    while (done < chunks) {
      const next = waitChange(ctl, DONE, done, MAIN_WAITING, this.stallMs);
      if (next === done) throw this.stalled(op, done, chunks);
      done = next;
    }
    if (mainError !== undefined) throw mainError;
    if (Atomics.load(ctl, FAILED) !== 0) throw new Error('a kernel worker failed (see its message on stderr)');
  }

  /** Stops every worker; the process no longer waits on them. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stopWorkers();
  }

  /** Tells the workers to leave their loop and ends their threads. Idempotent. */
  private stopWorkers(): void {
    const pool = this.pool;
    if (!pool) return;
    this.pool = undefined;
    Atomics.store(this.ctl, SHUTDOWN, 1);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
    pool.destroy().catch(() => {});
  }

  /**
   * Gives up on the workers after a stall: closes the job to further claims (a hung worker that
   * wakes must not pick up the next job's chunks), stops them, and leaves the team running jobs on
   * the calling thread.
   */
  private stalled(op: number, done: number, chunks: number): WorkerStalledError {
    const err = new WorkerStalledError(op, done, chunks, this.stallMs);
    Atomics.store(this.ctl, NEXT, firstClaim((this.ctl[GEN] + 1) | 0));
    this.failure = err;
    this.allReady = false;
    this.stopWorkers();
    return err;
  }

  private refreshReady(): boolean {
    if (this.allReady) return true;
    if (this.failure !== undefined || this.disposed) return false;
    this.allReady = Atomics.load(this.ctl, READY) === this.workers;
    return this.allReady;
  }

  private async waitReady(): Promise<void> {
    for (;;) {
      const n = Atomics.load(this.ctl, READY);
      if (n >= this.workers) return;
      await waitAsync(this.ctl, READY, n, 1000);
      if (this.disposed || this.failure !== undefined) return;
    }
  }
}
