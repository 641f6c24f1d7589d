// The team's supervisor thread: starts the kernel workers, watches them, and restarts one that
// exits. It exists because the thread that runs jobs cannot watch: it blocks in Atomics.wait for
// the whole of a job, so a worker's 'exit' event would reach it only after the job, and a job
// whose chunk died with its worker never ends. The supervisor's own event loop is always free:
// when a worker exits unasked it marks it dead in the control block, counts the crash and wakes
// the main thread (protocol.mjs: CRASHES, WORKER_STATE), which then fails the job with a typed
// error instead of waiting for the stall timeout.
//
// Messages to the parent: { type: 'serving', index, ready } when a worker is up (`ready` workers
// serve now), { type: 'exit', index, code, served, restarting, message } when one exited unasked.
// From the parent: { type: 'terminate', index, delayMs } (a test hook: end worker `index` as a crash
// would, after `delayMs`, so that it can happen while the parent is blocked in a job).
import { Worker, parentPort, workerData } from 'node:worker_threads';
import {
  CRASHES, READY, SHUTDOWN, W_STARTING, recordWorkerExit, workerState,
} from './protocol.mjs';

/** @type {{ memory: WebAssembly.Memory, module: WebAssembly.Module, control: SharedArrayBuffer, workers: number, maxRestarts: number }} */
const { memory, module, control, workers, maxRestarts } = workerData;
const ctl = new Int32Array(control);
const script = new URL('./kernel-worker.mjs', import.meta.url);
/** @type {(Worker | undefined)[]} */
const running = new Array(workers);
const restarts = new Array(workers).fill(0);

/** At most this much of a worker's error text travels in a message. */
const MAX_MESSAGE = 200;

function start(index) {
  Atomics.store(ctl, workerState(index), W_STARTING);
  // The worker is plain JavaScript: spare it the parent's loaders (tsx, test runners).
  const worker = new Worker(script, { workerData: { memory, module, control, index }, execArgv: [] });
  running[index] = worker;
  let served = false;
  let message;
  worker.on('message', (m) => {
    if (m !== 'ready' || served) return;
    served = true;
    const ready = Atomics.add(ctl, READY, 1) + 1;
    Atomics.notify(ctl, READY);
    parentPort.postMessage({ type: 'serving', index, ready });
  });
  worker.on('error', (err) => {
    message ??= (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, MAX_MESSAGE);
  });
  worker.on('exit', (code) => {
    running[index] = undefined;
    if (Atomics.load(ctl, SHUTDOWN) !== 0) return;
    recordWorkerExit(ctl, index, served, code);
    // A worker that never came up would fail the same way again: only served ones restart.
    const restarting = served && restarts[index] < maxRestarts;
    parentPort.postMessage({ type: 'exit', index, code, served, restarting, message });
    if (restarting) {
      restarts[index]++;
      start(index);
    }
  });
}

parentPort.on('message', (m) => {
  if (m?.type === 'terminate') setTimeout(() => void running[m.index]?.terminate(), m.delayMs ?? 0);
});
for (let i = 0; i < workers; i++) start(i);
