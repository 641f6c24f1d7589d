// A kernel worker: a piscina task that does not return until shutdown. It instantiates the kernel
// module over the arena's shared memory and then works on the jobs published in the control block
// (protocol.mjs). Plain JavaScript importing only protocol.mjs, so it loads the same way from the
// TypeScript sources, from a built dist/, and under any test runner.
import { GEN, READY, SHUTDOWN, SLEEPERS, WORKER_CHUNKS, runChunks, waitChange } from './protocol.mjs';

/**
 * @param {{ memory: WebAssembly.Memory, module: WebAssembly.Module, control: SharedArrayBuffer }} task
 * @returns {number} the number of jobs this worker took part in
 */
export default function serve({ memory, module, control }) {
  const ctl = new Int32Array(control);
  const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
  let gen = Atomics.load(ctl, GEN);
  let jobs = 0;
  Atomics.add(ctl, READY, 1);
  Atomics.notify(ctl, READY);
  for (;;) {
    gen = waitChange(ctl, GEN, gen, SLEEPERS);
    if (Atomics.load(ctl, SHUTDOWN) !== 0) return jobs;
    try {
      if (runChunks(kernels, ctl, gen, WORKER_CHUNKS) > 0) jobs++;
    } catch (err) {
      // runChunks has flagged FAILED; the main thread throws once the job is over.
      console.error('legato kernel worker:', err);
    }
  }
}
