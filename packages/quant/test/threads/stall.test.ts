/**
 * A worker that hangs inside a chunk must not hang the caller: the job fails with a typed error
 * after the stall timeout, the team carries on on the calling thread, and dispose() still ends the
 * hung worker (the test process would not exit otherwise).
 */
import { describe, expect, it } from 'vitest';
import { Arena } from '../../src/arena.js';
import { OP_MATMUL } from '../../src/threads/protocol.mjs';
import type { JobKernels } from '../../src/threads/protocol.mjs';
import { WorkerStalledError, WorkerTeam } from '../../src/threads/team.js';

/** A kernel module whose only export, matmul(10 × i32) → i32, loops forever: `loop br 0 end`. */
const SPIN_FOREVER = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x0f, 0x01, 0x60, 0x0a, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, // type (i32×10) → i32
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x07, 0x0a, 0x01, 0x06, 0x6d, 0x61, 0x74, 0x6d, 0x75, 0x6c, 0x00, 0x00, // export "matmul"
  0x0a, 0x0a, 0x01, 0x08, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x00, 0x0b, // loop br 0 end; unreachable
]);

/** The calling thread's kernels: a chunk takes ~2 ms, so the worker surely claims one. */
const slowNoop: JobKernels = {
  matmul: () => {
    const end = performance.now() + 2;
    while (performance.now() < end);
    return 0;
  },
  quantizeActivations: () => undefined,
  attention: () => undefined,
  swiglu: () => undefined,
};

describe('WorkerTeam stall', () => {
  it('throws WorkerStalledError instead of waiting forever, then runs on the calling thread', async () => {
    const arena = new Arena({ initialBytes: 1 << 20 });
    const team = new WorkerTeam({ threads: 2, memory: arena.memory, module: new WebAssembly.Module(SPIN_FOREVER), kernels: slowNoop, stallTimeoutMs: 300 });
    try {
      await team.ready();
      expect(team.activeThreads).toBe(2);
      const t0 = performance.now();
      let err: unknown;
      try {
        team.run(OP_MATMUL, 64, 1);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(WorkerStalledError);
      expect((err as WorkerStalledError).chunksDone).toBeLessThan(64);
      expect(performance.now() - t0).toBeLessThan(10_000);
      expect(team.activeThreads).toBe(1);
      // Later jobs complete on the calling thread alone.
      team.run(OP_MATMUL, 8, 1);
    } finally {
      team.dispose();
    }
  });
});
