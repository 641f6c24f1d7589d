/** The errors a worker team's job can end with (the job's output is then incomplete). */
import { OP_ATTENTION, OP_MATMUL, OP_QUANTIZE, OP_SWIGLU } from './protocol.mjs';

const OP_NAMES: Record<number, string> = {
  [OP_MATMUL]: 'matmul',
  [OP_QUANTIZE]: 'quantize',
  [OP_ATTENTION]: 'attention',
  [OP_SWIGLU]: 'swiglu',
};

/** The name of kernel job `op` (for messages). */
export function opName(op: number): string {
  return OP_NAMES[op] ?? `job ${op}`;
}

/**
 * A job made no progress for `stallTimeoutMs`: a worker hung inside a chunk. The job's output is
 * incomplete; the team has stopped its workers and runs later jobs on the calling thread.
 */
export class WorkerStalledError extends Error {
  constructor(readonly op: number, readonly chunksDone: number, readonly chunks: number, readonly waitedMs: number) {
    super(`kernel job ${op} (${opName(op)}) stalled: ${chunksDone} of ${chunks} chunks done and none finished in ${waitedMs} ms ` +
      '(a worker thread died or hung); its workers were stopped and the team continues on one thread');
    this.name = 'WorkerStalledError';
  }
}

/**
 * A kernel worker thread died (`reason: 'exit'`: it exited or was terminated while holding part
 * of the job) or its kernel trapped (`reason: 'trap'`) during a job. The job's output is
 * incomplete, so the computation it belonged to (a model step) must be discarded; the team itself
 * stays usable: a worker that exited is restarted (up to a limit, then the team continues with
 * fewer threads) and a trapped one starts from a fresh kernel instance, so the next job runs
 * normally.
 */
export class WorkerCrashedError extends Error {
  constructor(
    /** 'exit': the worker thread ended; 'trap': its kernel threw (a WebAssembly trap or similar). */
    readonly reason: 'exit' | 'trap',
    /** The worker's index in the team (0-based; the calling thread is not a worker). */
    readonly worker: number,
    readonly op: number,
    readonly chunksDone: number,
    readonly chunks: number,
    /** The exit code, or the start of the kernel's error text (at most 160 characters). */
    readonly detail: string,
  ) {
    super(`kernel worker ${worker} ${reason === 'exit' ? `exited (${detail})` : `failed (${detail})`} during kernel job ` +
      `${op} (${opName(op)}); ${chunksDone} of ${chunks} chunks done, so its output is incomplete. The team ` +
      `${reason === 'exit' ? 'restarts the worker' : 'carries on with a fresh kernel instance'}; later jobs run normally`);
    this.name = 'WorkerCrashedError';
  }
}
