/** Types for protocol.mjs (see there for the meaning of each slot). */
export declare const GEN: number;
export declare const SLEEPERS: number;
export declare const SHUTDOWN: number;
export declare const OP: number;
export declare const CHUNKS: number;
export declare const CHUNK_SIZE: number;
export declare const ARGS: number;
export declare const NEXT: number;
export declare const DONE: number;
export declare const MAIN_WAITING: number;
export declare const READY: number;
export declare const FAILED: number;
export declare const WORKER_CHUNKS: number;
export declare const CRASHES: number;
export declare const LAST_CRASH: number;
export declare const LAST_EXIT_CODE: number;
export declare const TEST_FAULT: number;
export declare const TEST_EXIT_ON_CLAIM: number;
export declare const TEST_THROW_ON_CLAIM: number;
export declare const ERROR_LEN: number;
export declare const ERROR_TEXT: number;
export declare const ERROR_TEXT_MAX: number;
export declare const WORKER_STATE: number;
export declare const W_STARTING: number;
export declare const W_IDLE: number;
export declare const W_BUSY: number;
export declare const W_DEAD: number;
export declare function workerState(i: number): number;
export declare function workerAsleep(i: number): number;
export declare function recordWorkerExit(ctl: Int32Array, index: number, served: boolean, code: number): void;
export declare function controlInts(workers: number): number;
export declare const EXIT_REQUEST: unique symbol;
export declare const CHUNK_BITS: number;
export declare const MAX_CHUNKS: number;
export declare const OP_MATMUL: number;
export declare const OP_QUANTIZE: number;
export declare const OP_ATTENTION: number;
export declare const OP_SWIGLU: number;
/** The i32 bit pattern of the float `x` (to pass it in an argument slot). */
export declare function f32Bits(x: number): number;
export declare const SPIN_LIMIT: number;

/** The exports of the kernel module that jobs call. */
export interface JobKernels {
  matmul(type: number, w: number, rowBytes: number, rows: number, cols: number, r0: number, r1: number, act: number, nTokens: number, out: number): number;
  quantizeActivations(x: number, xStride: number, cols: number, nTokens: number, t0: number, t1: number, act: number): void;
  attention(
    q: number, kv: number, rows: number, lens: number, nHeads: number, nKVHeads: number, headDim: number, scale: number,
    out: number, i0: number, i1: number, kvType: number,
  ): void;
  swiglu(gate: number, up: number, i0: number, i1: number): void;
}

export declare function firstClaim(gen: number): number;
export declare function runChunk(k: JobKernels, ctl: Int32Array, c: number): void;
export declare function runChunks(k: JobKernels, ctl: Int32Array, gen: number, worker: number): number;
export declare function readError(ctl: Int32Array): string;
export declare function waitChange(ctl: Int32Array, index: number, seen: number, sleepers: number, timeoutMs?: number, asleep?: number): number;
