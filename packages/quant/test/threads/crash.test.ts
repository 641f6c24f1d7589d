/**
 * A kernel worker that dies — exits, is terminated, or traps — fails the job it was part of with a
 * typed WorkerCrashedError at once (not after the 30 s stall timeout), and the team recovers: the
 * worker is restarted (or, past its restart budget, the team continues with fewer threads) and the
 * next job gives the same bits as a one-thread run.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Arena } from '../../src/arena.js';
import { WasmBackend } from '../../src/kernels/wasm-backend.js';
import { instantiateKernels, kernelModule } from '../../src/kernels/module.js';
import { OP_MATMUL, SLEEPERS } from '../../src/threads/protocol.mjs';
import type { JobKernels } from '../../src/threads/protocol.mjs';
import { WorkerCrashedError, WorkerTeam } from '../../src/threads/team.js';
import { GGMLType } from '../../src/types.js';
import { makeProblem, type Problem } from '../kernels/fixtures.js';

const arena = new Arena({ initialBytes: 64 << 20 });
const single = new WasmBackend(arena, { threads: 1 });
let team: WasmBackend;
/** Large enough that the worker surely claims chunks: ~60 chunks of 16 rows. */
let p: Problem;
let want: number[];

beforeAll(async () => {
  team = await WasmBackend.create(arena, { threads: 2 });
  p = makeProblem(arena, GGMLType.Q4_0, 1024, 1024, 4, 7);
  single.matmul(p.w, p.x, p.nTokens, p.out);
  want = Array.from(p.out);
});
afterAll(() => {
  single.dispose();
  team.dispose();
});

/** Runs the matmul on `backend` until the worker took part (or it threw); returns what it threw. */
function runUntilWorkerJoins(backend: WasmBackend): unknown {
  for (let i = 0; i < 200; i++) {
    const before = backend.workerChunks;
    p.out.fill(0);
    try {
      backend.matmul(p.w, p.x, p.nTokens, p.out);
    } catch (err) {
      return err;
    }
    if (backend.workerChunks > before) return undefined;
  }
  throw new Error('the worker never claimed a chunk in 200 jobs');
}

function expectCorrectWithWorker(backend: WasmBackend): void {
  expect(runUntilWorkerJoins(backend)).toBeUndefined();
  expect(Array.from(p.out)).toEqual(want);
}

describe('a kernel worker that dies', () => {
  it('between jobs: is restarted and the next job is exact', async () => {
    expectCorrectWithWorker(team);
    await team.terminateWorker(0);
    expect(team.activeThreads).toBe(2);
    expectCorrectWithWorker(team);
  });

  it('holding a chunk (exits mid-job): the job throws WorkerCrashedError at once, the next one is exact', async () => {
    team.injectWorkerFault('exit-on-claim');
    const t0 = performance.now();
    const err = runUntilWorkerJoins(team);
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect(performance.now() - t0).toBeLessThan(5_000);
    const crash = err as WorkerCrashedError;
    expect(crash.reason).toBe('exit');
    expect(crash.worker).toBe(0);
    expect(crash.detail).toBe('exit code 70');
    expect(crash.chunksDone).toBeLessThan(crash.chunks);
    expect(crash.message).toMatch(/kernel worker 0 exited \(exit code 70\) during kernel job 1 \(matmul\)/);
    // Usable at once (the calling thread takes the restarting worker's share), exact once it is back.
    p.out.fill(0);
    team.matmul(p.w, p.x, p.nTokens, p.out);
    expect(Array.from(p.out)).toEqual(want);
    await vi.waitFor(() => expect(team.activeThreads).toBe(2), { timeout: 10_000 });
    expectCorrectWithWorker(team);
  });

  it('whose kernel traps: the job throws WorkerCrashedError with the trap, the next one is exact', () => {
    team.injectWorkerFault('throw-on-claim');
    const err = runUntilWorkerJoins(team);
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect((err as WorkerCrashedError).reason).toBe('trap');
    expect((err as WorkerCrashedError).detail).toMatch(/^RuntimeError: unreachable/);
    expect(team.activeThreads).toBe(2);
    expectCorrectWithWorker(team);
  });

  it('past its restart budget: the team continues with fewer threads, exactly', async () => {
    const few = await WasmBackend.create(arena, { threads: 2 });
    try {
      // maxRestarts is 3: the fourth death is for good.
      for (let i = 0; i < 3; i++) await few.terminateWorker(0);
      expect(few.activeThreads).toBe(2);
      await few.terminateWorker(0);
      expect(few.activeThreads).toBe(1);
      p.out.fill(0);
      few.matmul(p.w, p.x, p.nTokens, p.out);
      expect(Array.from(p.out)).toEqual(want);
    } finally {
      few.dispose();
    }
  });
});

/** A kernel module whose only export, matmul(10 × i32) → i32, loops forever: `loop br 0 end`. */
const SPIN_FOREVER = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x0f, 0x01, 0x60, 0x0a, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f,
  0x03, 0x02, 0x01, 0x00,
  0x07, 0x0a, 0x01, 0x06, 0x6d, 0x61, 0x74, 0x6d, 0x75, 0x6c, 0x00, 0x00,
  0x0a, 0x0a, 0x01, 0x08, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x00, 0x0b,
]);
/** The same, but its matmul traps at once: `unreachable`. */
const TRAP = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x0f, 0x01, 0x60, 0x0a, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f,
  0x03, 0x02, 0x01, 0x00,
  0x07, 0x0a, 0x01, 0x06, 0x6d, 0x61, 0x74, 0x6d, 0x75, 0x6c, 0x00, 0x00,
  0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b,
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

describe('WorkerTeam', () => {
  it('fails a job at once when its worker is terminated inside a kernel (not after the stall timeout)', async () => {
    const t = new WorkerTeam({ threads: 2, memory: arena.memory, module: new WebAssembly.Module(SPIN_FOREVER), kernels: slowNoop, stallTimeoutMs: 20_000 });
    try {
      await t.ready();
      const exited = t.terminateWorker(0, 300);
      const t0 = performance.now();
      expect(() => t.run(OP_MATMUL, 64, 1)).toThrow(WorkerCrashedError);
      const waited = performance.now() - t0;
      expect(waited).toBeGreaterThan(250);
      expect(waited).toBeLessThan(5_000);
      await exited;
    } finally {
      t.dispose();
    }
  });

  it('reports a worker kernel trap as WorkerCrashedError and keeps the worker', async () => {
    const t = new WorkerTeam({ threads: 2, memory: arena.memory, module: new WebAssembly.Module(TRAP), kernels: slowNoop });
    try {
      await t.ready();
      let err: unknown;
      try {
        t.run(OP_MATMUL, 64, 1);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(WorkerCrashedError);
      expect((err as WorkerCrashedError).reason).toBe('trap');
      expect((err as WorkerCrashedError).detail).toBe('RuntimeError: unreachable');
      expect(t.activeThreads).toBe(2);
    } finally {
      t.dispose();
    }
  });

  it('uncounts a worker that died asleep, so jobs do not keep notifying a sleeper that is gone', async () => {
    const t = new WorkerTeam({ threads: 3, memory: arena.memory, module: kernelModule(), kernels: instantiateKernels(arena.memory) });
    const sleepers = (): number => Atomics.load((t as unknown as { ctl: Int32Array }).ctl, SLEEPERS);
    try {
      await t.ready();
      await vi.waitFor(() => expect(sleepers()).toBe(2), { timeout: 10_000 });
      await t.terminateWorker(0);
      await vi.waitFor(() => expect(sleepers()).toBe(2), { timeout: 10_000 });
      await new Promise((r) => setTimeout(r, 50));
      expect(sleepers()).toBe(2);
    } finally {
      t.dispose();
    }
  });
});
