// The shared-memory job protocol between the main thread and the kernel workers. Plain JavaScript
// so that workers load it without any TypeScript tooling; the main thread imports the same file
// (typed by protocol.d.mts), so both sides agree on the layout and run chunks with the same code.
//
// Control block: an Int32Array over a SharedArrayBuffer. The main thread writes a job (OP, CHUNKS,
// ARGS), resets NEXT and DONE, and bumps GEN. Every thread, the main thread included, then claims
// chunks of the job (row ranges of a matmul) from NEXT until none are left, and counts each
// finished chunk in DONE; the job is complete when DONE reaches CHUNKS. Because chunks are claimed
// rather than assigned, a thread that the OS descheduled (the machine may be shared) simply claims
// fewer: the others finish its share instead of waiting for it. Each output row is computed by the
// same code whichever thread claims it, so results do not depend on the number of threads.
//
// NEXT holds the job's generation in its high bits and the next chunk index in its low bits, and is
// advanced by compare-and-swap: a thread that wakes late for an old job cannot claim a chunk of the
// next one. Waiting threads spin on shared memory for a bounded time, then sleep in Atomics.wait;
// writers notify only when a *_SLEEPERS counter says someone sleeps (SeqCst makes that safe).

/** Job generation: bumped once per published job (and once more on shutdown). */
export const GEN = 0;
/** Workers currently blocked in Atomics.wait on GEN. */
export const SLEEPERS = 1;
/** 1 once the team is shutting down. */
export const SHUTDOWN = 2;
/** The job's operation (OP_*). */
export const OP = 3;
/** Number of chunks the job is cut into. */
export const CHUNKS = 4;
/** Items (rows or tokens) per chunk. */
export const CHUNK_SIZE = 5;
/** The job's arguments (addresses are stored as their i32 bit patterns). */
export const ARGS = 6;
/** generation << CHUNK_BITS | next unclaimed chunk. Own cache line: every thread writes it. */
export const NEXT = 16;
/** Chunks finished in the current job. Own cache line. */
export const DONE = 32;
/** 1 while the main thread sleeps waiting for DONE. */
export const MAIN_WAITING = 33;
/** Workers serving jobs right now (kept by the supervisor: +1 when one is up, -1 when it exits). */
export const READY = 34;
/** Set by a thread whose chunk threw (before that chunk counts as done): 1 + its thread index. */
export const FAILED = 35;
/** Chunks run by workers since the team started (how much of the work they really took). */
export const WORKER_CHUNKS = 36;
/** Workers that exited without being asked to (bumped by the supervisor, which then notifies DONE). */
export const CRASHES = 37;
/** The index and exit code of the last worker that exited unasked. */
export const LAST_CRASH = 38;
export const LAST_EXIT_CODE = 39;
/**
 * Test hook: TEST_EXIT_ON_CLAIM makes the next worker to claim a chunk exit while holding it,
 * TEST_THROW_ON_CLAIM makes it fail that chunk as a trapping kernel would. Cleared when taken.
 */
export const TEST_FAULT = 40;
export const TEST_EXIT_ON_CLAIM = 1;
export const TEST_THROW_ON_CLAIM = 2;
/** Length of the failing worker's error text (ERROR_TEXT: one UTF-16 code unit per slot). */
export const ERROR_LEN = 41;
export const ERROR_TEXT = 48;
export const ERROR_TEXT_MAX = 160;
/**
 * Two slots per worker from here. The first holds its W_* state: a worker marks itself busy before
 * it looks for chunks and idle once it has counted them, so that after a crash the main thread can
 * tell when every surviving worker is done and a chunk is missing for good. The second is 1 while
 * the worker is counted in SLEEPERS, so that the supervisor can uncount a worker that died asleep
 * (otherwise every later job would pay for a notify nobody needs).
 */
export const WORKER_STATE = ERROR_TEXT + ERROR_TEXT_MAX;
export const W_STARTING = 0;
export const W_IDLE = 1;
export const W_BUSY = 2;
export const W_DEAD = 3;
/** Index of worker `i`'s state slot. */
export function workerState(i) {
  return WORKER_STATE + 2 * i;
}
/** Index of worker `i`'s asleep flag. */
export function workerAsleep(i) {
  return WORKER_STATE + 2 * i + 1;
}
/**
 * Records in the control block that worker `index` exited with `code` while the team runs (the
 * Node and browser supervisors' shared bookkeeping): its state, the READY count if it had served,
 * its sleeper count, the crash counters; then wakes the job's thread, which may be asleep on DONE
 * waiting for a chunk that just died.
 */
export function recordWorkerExit(ctl, index, served, code) {
  Atomics.store(ctl, workerState(index), W_DEAD);
  if (served) Atomics.sub(ctl, READY, 1);
  if (Atomics.exchange(ctl, workerAsleep(index), 0) === 1) Atomics.sub(ctl, SLEEPERS, 1);
  Atomics.store(ctl, LAST_CRASH, index);
  Atomics.store(ctl, LAST_EXIT_CODE, code);
  Atomics.add(ctl, CRASHES, 1);
  Atomics.notify(ctl, DONE);
}
/** Length of the control block in Int32 elements for a team of `workers` workers. */
export function controlInts(workers) {
  return WORKER_STATE + 2 * workers;
}

/** Thrown inside a worker by the TEST_EXIT_ON_CLAIM hook; the worker then exits holding its chunk. */
export const EXIT_REQUEST = Symbol('legato: worker exit requested by a test');

/** Low bits of NEXT that count chunks: a job has at most 2^CHUNK_BITS - 1 chunks. */
export const CHUNK_BITS = 12;
export const MAX_CHUNKS = (1 << CHUNK_BITS) - 1;

/** args: type, w, rowBytes, rows, cols, act, nTokens, out; chunks are row ranges. */
export const OP_MATMUL = 1;
/** args: x, xStride, cols, nTokens, act; chunks are token ranges. */
export const OP_QUANTIZE = 2;
/**
 * args: q, kv, rows, lens, nHeads, nKVHeads, headDim | (KV ggml type << 16), scale (f32 bits), out,
 * items; chunks are ranges of items (token × query head), see assembly/attention.ts.
 */
export const OP_ATTENTION = 3;
/** args: gate, up, n; chunks are element ranges (see assembly/elementwise.ts). */
export const OP_SWIGLU = 4;

/** Reinterprets the f32 bit pattern of an argument slot (the scale of OP_ATTENTION). */
const scaleBits = new Int32Array(1);
const scaleF32 = new Float32Array(scaleBits.buffer);
export function f32Bits(x) {
  scaleF32[0] = x;
  return scaleBits[0];
}
function bitsF32(b) {
  scaleBits[0] = b;
  return scaleF32[0];
}

/**
 * Spin iterations (one Atomics.load each, about a millisecond in all) before a waiting thread
 * sleeps: long enough that workers stay awake through the caller's own work between two matmuls
 * (a decode step's attention, norms and activations), since waking a sleeping thread costs tens of
 * microseconds per job.
 */
export const SPIN_LIMIT = 200000;

/** The value of NEXT that opens generation `gen`'s chunk 0. */
export function firstClaim(gen) {
  return gen << CHUNK_BITS;
}

/** Runs chunk `c` of the job in `ctl` with the kernel module's exports `k`. */
export function runChunk(k, ctl, c) {
  const size = ctl[CHUNK_SIZE];
  switch (ctl[OP]) {
    case OP_MATMUL: {
      const rows = ctl[ARGS + 3];
      const r0 = c * size;
      const r1 = Math.min(rows, r0 + size);
      k.matmul(ctl[ARGS], ctl[ARGS + 1], ctl[ARGS + 2], rows, ctl[ARGS + 4], r0, r1, ctl[ARGS + 5], ctl[ARGS + 6], ctl[ARGS + 7]);
      return;
    }
    case OP_QUANTIZE: {
      const n = ctl[ARGS + 3];
      const t0 = c * size;
      k.quantizeActivations(ctl[ARGS], ctl[ARGS + 1], ctl[ARGS + 2], n, t0, Math.min(n, t0 + size), ctl[ARGS + 4]);
      return;
    }
    case OP_ATTENTION: {
      // Chunks from the last items back: a causal run's later tokens see more positions, and
      // claiming the longest chunks first leaves short ones to even out the threads' finish.
      const i1 = ctl[ARGS + 9] - c * size;
      const headDimType = ctl[ARGS + 6];
      k.attention(ctl[ARGS], ctl[ARGS + 1], ctl[ARGS + 2], ctl[ARGS + 3], ctl[ARGS + 4], ctl[ARGS + 5], headDimType & 0xffff,
        bitsF32(ctl[ARGS + 7]), ctl[ARGS + 8], Math.max(0, i1 - size), i1, headDimType >>> 16);
      return;
    }
    case OP_SWIGLU: {
      const i0 = c * size;
      k.swiglu(ctl[ARGS], ctl[ARGS + 1], i0, Math.min(ctl[ARGS + 2], i0 + size));
      return;
    }
    default:
      throw new Error(`unknown kernel job ${ctl[OP]}`);
  }
}

/**
 * Claims and runs chunks of generation `gen`'s job until none are left; returns how many this
 * thread claimed. Every claimed chunk is counted in DONE even when it fails, and once any chunk
 * has failed (FAILED) the remaining ones are claimed without running, so the job always ends;
 * this thread's first error is then rethrown (a worker's is also copied to ERROR_TEXT for the main
 * thread). `worker` is the worker's index, or -1 on the main thread; workers count their chunks in
 * WORKER_CHUNKS (before DONE, so the count is complete when the job is).
 */
export function runChunks(k, ctl, gen, worker) {
  const mark = (gen << CHUNK_BITS) | 0;
  let ran = 0;
  let error;
  for (;;) {
    const v = Atomics.load(ctl, NEXT);
    if ((v & ~MAX_CHUNKS) !== mark) break;
    const c = v & MAX_CHUNKS;
    if (c >= ctl[CHUNKS]) break;
    if (Atomics.compareExchange(ctl, NEXT, v, v + 1) !== v) continue;
    const fault = worker >= 0 && Atomics.load(ctl, TEST_FAULT) !== 0 ? Atomics.exchange(ctl, TEST_FAULT, 0) : 0;
    if (fault === TEST_EXIT_ON_CLAIM) throw EXIT_REQUEST;
    try {
      if (fault === TEST_THROW_ON_CLAIM) throw new WebAssembly.RuntimeError('unreachable (test fault)');
      if (Atomics.load(ctl, FAILED) === 0) runChunk(k, ctl, c);
    } catch (err) {
      if (Atomics.compareExchange(ctl, FAILED, 0, worker + 2) === 0 && worker >= 0) writeError(ctl, err);
      if (error === undefined) error = err;
    }
    ran++;
    if (worker >= 0) Atomics.add(ctl, WORKER_CHUNKS, 1);
    Atomics.add(ctl, DONE, 1);
    if (Atomics.load(ctl, MAIN_WAITING) !== 0) Atomics.notify(ctl, DONE);
  }
  if (error !== undefined) throw error;
  return ran;
}

/** Copies the start of `err`'s text to ERROR_TEXT (plain stores: DONE's update publishes them). */
function writeError(ctl, err) {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const n = Math.min(text.length, ERROR_TEXT_MAX);
  for (let i = 0; i < n; i++) ctl[ERROR_TEXT + i] = text.charCodeAt(i);
  Atomics.store(ctl, ERROR_LEN, n);
}

/** The error text a failing worker left in the control block. */
export function readError(ctl) {
  const n = Math.min(Atomics.load(ctl, ERROR_LEN), ERROR_TEXT_MAX);
  let text = '';
  for (let i = 0; i < n; i++) text += String.fromCharCode(ctl[ERROR_TEXT + i]);
  return text;
}

/**
 * Blocks until `ctl[index]` differs from `seen` (spinning first, then sleeping), and returns the
 * new value; after about `timeoutMs` without a change it gives up and returns `seen`. While asleep
 * the thread is counted in `ctl[sleepers]`, which tells the writer of `ctl[index]` that it must
 * notify, and `ctl[asleep]` (if given) is 1: it is set after the count goes up and cleared before
 * it goes down, so a thread that dies asleep can be uncounted without ever undercounting.
 */
export function waitChange(ctl, index, seen, sleepers, timeoutMs = Infinity, asleep = -1) {
  for (let i = 0; i < SPIN_LIMIT; i++) {
    const v = Atomics.load(ctl, index);
    if (v !== seen) return v;
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return seen;
    Atomics.add(ctl, sleepers, 1);
    if (asleep >= 0) Atomics.store(ctl, asleep, 1);
    Atomics.wait(ctl, index, seen, left);
    if (asleep >= 0) Atomics.store(ctl, asleep, 0);
    Atomics.sub(ctl, sleepers, 1);
    const v = Atomics.load(ctl, index);
    if (v !== seen) return v;
  }
}
