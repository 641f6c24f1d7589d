// The team's threads in a browser, one script for both roles (the first message says which):
//  - 'supervisor': the twin of supervisor.mjs. Starts the kernel workers (from this same script,
//    given as source text, so no bundler has to copy a worker file), reports each that serves,
//    and treats one whose script failed as a crash: marks it dead in the control block, wakes the
//    waiting job (protocol.mjs: CRASHES) and restarts it. Browsers have no worker 'exit' event, so
//    an uncaught error (and the test hook's termination) stands for one.
//  - 'kernel': a kernel worker running kernel-loop.mjs.
// Bundled with protocol.mjs and kernel-loop.mjs into src/platform/web-worker.generated.ts by
// scripts/inline-web-worker.mjs; a classic (non-module) worker script.
import {
  CRASHES, READY, SHUTDOWN, W_STARTING, recordWorkerExit, workerState,
} from './protocol.mjs';
import { serveJobs } from './kernel-loop.mjs';

/** At most this much of a worker's error text travels in a message. */
const MAX_MESSAGE = 200;
/** Exit code reported for a worker whose script failed (browsers report none). */
const ERROR_EXIT_CODE = 1;
/** Exit code of a worker that a test told to die holding a chunk (as on Node). */
const TEST_EXIT_CODE = 70;

/** @param {{ memory: WebAssembly.Memory, module: WebAssembly.Module, control: SharedArrayBuffer, workers: number, maxRestarts: number, source: string }} data */
function supervise({ memory, module, control, workers, maxRestarts, source }) {
  const ctl = new Int32Array(control);
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  /** @type {(Worker | undefined)[]} */
  const running = new Array(workers);
  const restarts = new Array(workers).fill(0);

  const start = (index) => {
    Atomics.store(ctl, workerState(index), W_STARTING);
    const worker = new Worker(url, { name: `legato-kernel-${index}` });
    running[index] = worker;
    let served = false;
    let gone = false;
    const exited = (code, message) => {
      if (gone) return;
      gone = true;
      running[index] = undefined;
      worker.terminate();
      if (Atomics.load(ctl, SHUTDOWN) !== 0) return;
      recordWorkerExit(ctl, index, served, code);
      const restarting = served && restarts[index] < maxRestarts;
      postMessage({ type: 'exit', index, code, served, restarting, message });
      if (restarting) {
        restarts[index]++;
        start(index);
      }
    };
    worker.onmessage = (e) => {
      if (e.data === 'ready' && !served) {
        served = true;
        const ready = Atomics.add(ctl, READY, 1) + 1;
        Atomics.notify(ctl, READY);
        postMessage({ type: 'serving', index, ready });
      } else if (e.data === 'exit-requested') {
        exited(TEST_EXIT_CODE, undefined);
      }
    };
    worker.onerror = (e) => {
      e.preventDefault();
      exited(ERROR_EXIT_CODE, String(e.message ?? 'worker script error').slice(0, MAX_MESSAGE));
    };
    worker.postMessage({ role: 'kernel', memory, module, control, index });
    running[index].exited = exited;
  };

  self.onmessage = (e) => {
    const m = e.data;
    if (m?.type === 'terminate') {
      setTimeout(() => running[m.index]?.exited(ERROR_EXIT_CODE, 'terminated'), m.delayMs ?? 0);
    }
  };
  for (let i = 0; i < workers; i++) start(i);
}

self.onmessage = (e) => {
  const m = e.data;
  if (m?.role === 'supervisor') {
    supervise(m);
  } else if (m?.role === 'kernel') {
    self.onmessage = null;
    serveJobs(m, () => postMessage('ready'), () => {
      // Blocked in a job, this thread cannot be terminated from outside in time: report and stop.
      postMessage('exit-requested');
      close();
      throw new Error('legato kernel worker: exit requested by a test');
    });
    close();
  }
};
