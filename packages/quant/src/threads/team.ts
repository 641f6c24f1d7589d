/**
 * A team of kernel threads over one shared memory: the main thread plus `threads - 1` workers.
 *
 * Jobs are handed out through a shared control block (protocol.mjs) instead of messages, because a
 * decode step has hundreds of parallel regions and a message round trip (20–190 µs) costs more
 * than the work, while a spin on shared memory costs under a microsecond. The main thread works on
 * every job too and returns when all its chunks are done.
 *
 * The workers are started and watched by a supervisor thread (supervisor.mjs), which restarts one
 * that dies and wakes a job waiting on its chunk. The supervisor is unref'd whenever nothing is
 * awaited from it: jobs are synchronous, so between jobs the team has nothing in flight, and a
 * program that never calls dispose() still exits when its own work is done.
 */
import {
  ARGS, CHUNKS, CHUNK_SIZE, CRASHES, DONE, FAILED, GEN, LAST_CRASH, LAST_EXIT_CODE, MAIN_WAITING, MAX_CHUNKS, NEXT, OP,
  READY, SHUTDOWN, SLEEPERS, SPIN_LIMIT, TEST_EXIT_ON_CLAIM, TEST_FAULT, TEST_THROW_ON_CLAIM, WORKER_CHUNKS,
  W_BUSY, controlInts, firstClaim, readError, runChunk, runChunks, workerState,
} from './protocol.mjs';
import type { JobKernels } from './protocol.mjs';
import { WorkerCrashedError, WorkerStalledError } from './errors.js';
import { startSupervisor, type SupervisorThread } from '#platform/threads';

export { WorkerCrashedError, WorkerStalledError } from './errors.js';

/** Default WorkerTeamOptions.stallTimeoutMs: far beyond any chunk (the largest take ~0.1 s). */
const DEFAULT_STALL_MS = 30_000;
/** Default WorkerTeamOptions.maxRestarts. */
const DEFAULT_MAX_RESTARTS = 3;
/**
 * Longest single sleep of a waiting job: the supervisor's wake-up after a crash can race the
 * sleep (it changes no value the sleep compares), and this bounds what the race costs.
 */
const WAIT_SLICE_MS = 20;

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
  /**
   * How many times each worker is restarted after dying; beyond that the team continues with
   * fewer threads. Default 3.
   */
  maxRestarts?: number;
}

/** A fault a test can make the next worker that claims a chunk suffer (see `injectFault`). */
export type WorkerFault = 'exit-on-claim' | 'throw-on-claim';

/** What the supervisor reports (see supervisor.mjs). */
type SupervisorMessage =
  | { type: 'serving'; index: number; ready: number }
  | { type: 'exit'; index: number; code: number; served: boolean; restarting: boolean; message?: string }
  | { type: 'stopped' };

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
  private supervisor: SupervisorThread | undefined;
  private readonly readyPromise: Promise<void>;
  private failure: unknown;
  private disposed = false;
  private readonly stallMs: number;
  /** Promises awaiting the supervisor: while any is pending it is ref'd, otherwise unref'd. */
  private holds = 0;
  private readonly listeners = new Set<(m: SupervisorMessage) => void>();

  constructor(options: WorkerTeamOptions) {
    this.threads = Math.max(1, Math.floor(options.threads));
    this.workers = this.threads - 1;
    this.kernels = options.kernels;
    this.stallMs = options.stallTimeoutMs ?? DEFAULT_STALL_MS;
    // Shared only when there are workers to share it with (a browser page that is not cross-origin
    // isolated has no SharedArrayBuffer, and runs one thread).
    const bytes = controlInts(this.workers) * 4;
    this.ctl = new Int32Array(this.workers > 0 ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
    this.args = this.ctl.subarray(ARGS, NEXT);
    if (this.workers === 0) {
      this.readyPromise = Promise.resolve();
      return;
    }
    this.supervisor = startSupervisor({
      memory: options.memory, module: options.module, control: this.ctl.buffer as SharedArrayBuffer, workers: this.workers,
      maxRestarts: options.maxRestarts ?? DEFAULT_MAX_RESTARTS,
    }, {
      message: (m) => this.notify(m as SupervisorMessage),
      error: (err) => this.fail(err),
      exit: () => this.fail(new Error('the kernel team supervisor thread stopped')),
    });
    this.readyPromise = this.awaitSupervisor((m, resolve, reject) => {
      if (m.type === 'serving' && m.ready === this.workers) resolve();
      else if (m.type === 'exit' && !m.served) {
        reject(new Error(`kernel worker ${m.index} failed to start: ${m.message ?? `exit code ${m.code}`}`));
      } else if (m.type === 'stopped') {
        if (this.disposed) resolve();
        else reject(this.failure instanceof Error ? this.failure : new Error(String(this.failure)));
      }
    });
    this.readyPromise.catch(() => {});
  }

  /** Resolves when every worker is serving (jobs run on fewer threads until then). */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  /**
   * Threads that take part in jobs right now: the calling thread plus the workers serving (fewer
   * while they start or after one died; 0 once disposed).
   */
  get activeThreads(): number {
    if (this.disposed) return 0;
    if (this.failure !== undefined || this.workers === 0) return 1;
    return 1 + Atomics.load(this.ctl, READY);
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
   *
   * Throws WorkerCrashedError when a worker died holding a chunk or its kernel trapped, and
   * WorkerStalledError when no chunk finished for `stallTimeoutMs`; the output is then incomplete.
   */
  run(op: number, items: number, minChunk: number, chunksPerThread = 8): void {
    if (this.disposed) throw new Error('WorkerTeam: used after dispose()');
    const ctl = this.ctl;
    ctl[OP] = op;
    const threads = this.activeThreads;
    if (threads <= 1) {
      ctl[CHUNKS] = 1;
      ctl[CHUNK_SIZE] = items;
      runChunk(this.kernels, ctl, 0);
      return;
    }
    let size = Math.max(minChunk, Math.ceil(items / (threads * chunksPerThread * minChunk)) * minChunk);
    if (Math.ceil(items / size) > MAX_CHUNKS) size = Math.ceil(items / MAX_CHUNKS / minChunk) * minChunk;
    const chunks = Math.ceil(items / size);
    ctl[CHUNKS] = chunks;
    ctl[CHUNK_SIZE] = size;
    const crashes = Atomics.load(ctl, CRASHES);
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
    this.awaitChunks(op, chunks, crashes);
    if (mainError !== undefined) throw mainError;
    const failed = Atomics.load(ctl, FAILED);
    if (failed >= 2) throw new WorkerCrashedError('trap', failed - 2, op, chunks, chunks, readError(ctl));
  }

  /**
   * Test hook: the next worker to claim a chunk of a job exits holding it ('exit-on-claim'; that
   * job throws WorkerCrashedError and the worker is restarted) or fails it as a trapping kernel
   * would ('throw-on-claim').
   */
  injectFault(fault: WorkerFault): void {
    Atomics.store(this.ctl, TEST_FAULT, fault === 'exit-on-claim' ? TEST_EXIT_ON_CLAIM : TEST_THROW_ON_CLAIM);
  }

  /**
   * Test hook: terminates worker `index` as a crash would, after `delayMs` (so that it can happen
   * while the caller is blocked in a job); resolves once the supervisor has seen it exit (and
   * restarted it, if it does).
   */
  terminateWorker(index: number, delayMs = 0): Promise<void> {
    if (!(index >= 0 && index < this.workers)) return Promise.reject(new RangeError(`no worker ${index}`));
    const exited = this.awaitSupervisor((m, resolve, reject) => {
      if (m.type === 'exit' && m.index === index) {
        if (m.restarting) void this.serving(index).then(resolve, reject);
        else resolve();
      } else if (m.type === 'stopped') reject(new Error('the team stopped'));
    });
    this.supervisor?.postMessage({ type: 'terminate', index, delayMs });
    return exited;
  }

  /** Resolves when worker `index` (re)starts serving, or rejects when the team stops. */
  serving(index: number): Promise<void> {
    return this.awaitSupervisor((m, resolve, reject) => {
      if (m.type === 'serving' && m.index === index) resolve();
      else if (m.type === 'stopped') reject(new Error('the team stopped'));
    });
  }

  /** Stops every worker; the process no longer waits on them. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stopWorkers();
  }

  /**
   * Waits until DONE reaches `chunks`: spins first (a job's last chunks usually finish within
   * microseconds), then sleeps in slices. Gives up when a worker has crashed since the job began
   * (CRASHES moved past `crashes`) and every surviving worker has stopped working on it while a
   * chunk is still missing: that chunk died with its worker.
   */
  private awaitChunks(op: number, chunks: number, crashes: number): void {
    const ctl = this.ctl;
    let done = Atomics.load(ctl, DONE);
    for (let i = 0; i < SPIN_LIMIT && done < chunks; i++) done = Atomics.load(ctl, DONE);
    let progressAt = Date.now();
    while (done < chunks) {
      if (Atomics.load(ctl, CRASHES) !== crashes && !this.anyWorkerBusy()) {
        done = Atomics.load(ctl, DONE);
        if (done < chunks) throw this.crashed(op, done, chunks);
        return;
      }
      const left = progressAt + this.stallMs - Date.now();
      if (left <= 0) throw this.stalled(op, done, chunks);
      Atomics.store(ctl, MAIN_WAITING, 1);
      Atomics.wait(ctl, DONE, done, Math.min(left, WAIT_SLICE_MS));
      Atomics.store(ctl, MAIN_WAITING, 0);
      const next = Atomics.load(ctl, DONE);
      if (next !== done) {
        done = next;
        progressAt = Date.now();
      }
    }
  }

  private anyWorkerBusy(): boolean {
    for (let i = 0; i < this.workers; i++) if (Atomics.load(this.ctl, workerState(i)) === W_BUSY) return true;
    return false;
  }

  private crashed(op: number, done: number, chunks: number): WorkerCrashedError {
    const worker = Atomics.load(this.ctl, LAST_CRASH);
    return new WorkerCrashedError('exit', worker, op, done, chunks, `exit code ${Atomics.load(this.ctl, LAST_EXIT_CODE)}`);
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
    this.stopWorkers();
    return err;
  }

  /** The supervisor failed or stopped unasked: jobs run on the calling thread from now on. */
  private fail(err: unknown): void {
    if (this.disposed || this.failure !== undefined) return;
    this.failure = err;
    this.stopWorkers();
  }

  /** Tells the workers to leave their loop and ends their threads (and the supervisor). Idempotent. */
  private stopWorkers(): void {
    const supervisor = this.supervisor;
    if (!supervisor) return;
    this.supervisor = undefined;
    Atomics.store(this.ctl, SHUTDOWN, 1);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
    supervisor.terminate();
    supervisor.unref();
    this.notify({ type: 'stopped' });
  }

  private notify(m: SupervisorMessage): void {
    for (const listener of [...this.listeners]) listener(m);
  }

  /**
   * A promise settled by `handle` from the supervisor's messages; the supervisor is ref'd (keeps
   * the process alive) until it settles, as the caller is waiting for it.
   */
  private awaitSupervisor(handle: (m: SupervisorMessage, resolve: () => void, reject: (err: unknown) => void) => void): Promise<void> {
    if (!this.supervisor) return this.disposed ? Promise.reject(new Error('WorkerTeam: used after dispose()')) : Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (): void => {
        if (settled) return;
        settled = true;
        this.listeners.delete(listener);
        if (--this.holds === 0) this.supervisor?.unref();
      };
      const listener = (m: SupervisorMessage): void => handle(
        m,
        () => { settle(); resolve(); },
        (err) => { settle(); reject(err); },
      );
      this.listeners.add(listener);
      if (this.holds++ === 0) this.supervisor?.ref();
    });
  }
}
