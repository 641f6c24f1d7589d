// A kernel worker thread, started by the team's supervisor (supervisor.mjs). It instantiates the
// kernel module over the arena's shared memory and then works on the jobs published in the control
// block (protocol.mjs) until shutdown. Plain JavaScript importing only protocol.mjs, so it loads the
// same way from the TypeScript sources, from a built dist/, and under any test runner.
import { parentPort, workerData } from 'node:worker_threads';
import {
  EXIT_REQUEST, GEN, SHUTDOWN, SLEEPERS, W_BUSY, W_IDLE, runChunks, waitChange, workerAsleep, workerState,
} from './protocol.mjs';

/** Exit code of a worker that a test told to die holding a chunk (TEST_EXIT_ON_CLAIM). */
const TEST_EXIT_CODE = 70;

/** @type {{ memory: WebAssembly.Memory, module: WebAssembly.Module, control: SharedArrayBuffer, index: number }} */
const { memory, module, control, index } = workerData;
const ctl = new Int32Array(control);
const state = workerState(index);
const asleep = workerAsleep(index);
const instantiate = () => new WebAssembly.Instance(module, { env: { memory } }).exports;

let kernels = instantiate();
let gen = Atomics.load(ctl, GEN);
Atomics.store(ctl, state, W_IDLE);
parentPort.postMessage('ready');
for (;;) {
  gen = waitChange(ctl, GEN, gen, SLEEPERS, Infinity, asleep);
  if (Atomics.load(ctl, SHUTDOWN) !== 0) break;
  // Busy before looking for chunks, idle only after counting them (see WORKER_STATE).
  Atomics.store(ctl, state, W_BUSY);
  try {
    runChunks(kernels, ctl, gen, index);
  } catch (err) {
    if (err === EXIT_REQUEST) process.exit(TEST_EXIT_CODE);
    // runChunks has flagged FAILED and left the text for the main thread, which throws once the
    // job is over. A trap may leave the instance's globals mid-update: start from a fresh one.
    kernels = instantiate();
  }
  Atomics.store(ctl, state, W_IDLE);
}
parentPort.close();
