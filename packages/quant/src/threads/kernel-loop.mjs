// The loop of a kernel worker thread, shared by the Node entry (kernel-worker.mjs) and the browser
// one (web-worker.mjs): instantiate the kernel module over the arena's shared memory, then work on
// the jobs published in the control block (protocol.mjs) until shutdown. Plain JavaScript
// importing only protocol.mjs, so it loads the same way from sources, from a built dist/, under
// any test runner, and inlined into a browser bundle.
import {
  EXIT_REQUEST, GEN, SHUTDOWN, SLEEPERS, W_BUSY, W_IDLE, runChunks, waitChange, workerAsleep, workerState,
} from './protocol.mjs';

/**
 * Serves jobs until the team shuts down. `ready()` is called once the kernels are instantiated;
 * `exitRequested()` when a test told this worker to die holding a chunk (it must not return).
 * @param {{ memory: WebAssembly.Memory, module: WebAssembly.Module, control: SharedArrayBuffer, index: number }} data
 * @param {() => void} ready
 * @param {() => never} exitRequested
 */
export function serveJobs({ memory, module, control, index }, ready, exitRequested) {
  const ctl = new Int32Array(control);
  const state = workerState(index);
  const asleep = workerAsleep(index);
  const instantiate = () => new WebAssembly.Instance(module, { env: { memory } }).exports;

  let kernels = instantiate();
  let gen = Atomics.load(ctl, GEN);
  Atomics.store(ctl, state, W_IDLE);
  ready();
  for (;;) {
    gen = waitChange(ctl, GEN, gen, SLEEPERS, Infinity, asleep);
    if (Atomics.load(ctl, SHUTDOWN) !== 0) break;
    // Busy before looking for chunks, idle only after counting them (see WORKER_STATE).
    Atomics.store(ctl, state, W_BUSY);
    try {
      runChunks(kernels, ctl, gen, index);
    } catch (err) {
      if (err === EXIT_REQUEST) exitRequested();
      // runChunks has flagged FAILED and left the text for the main thread, which throws once the
      // job is over. A trap may leave the instance's globals mid-update: start from a fresh one.
      kernels = instantiate();
    }
    Atomics.store(ctl, state, W_IDLE);
  }
}
