import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../../src/arena.js';
import { instantiateKernels, kernelModule } from '../../src/kernels/module.js';
import { OP_MATMUL } from '../../src/threads/protocol.mjs';
import { WorkerTeam } from '../../src/threads/team.js';
import { GGMLType } from '../../src/types.js';
import { makeProblem, reference } from '../kernels/fixtures.js';

const arena = new Arena({ initialBytes: 16 << 20, maxBytes: 64 << 20 });
const kernels = instantiateKernels(arena.memory);
let team: WorkerTeam;

beforeAll(async () => {
  team = new WorkerTeam({ threads: 2, memory: arena.memory, module: kernelModule(), kernels });
  await team.ready();
});
afterAll(() => team.dispose());

function matmulJob(w: number, rows: number, cols: number, x: number, out: number): void {
  const a = team.args;
  a[0] = GGMLType.F32; a[1] = w; a[2] = cols * 4; a[3] = rows; a[4] = cols; a[5] = x; a[6] = 1; a[7] = out;
  team.run(OP_MATMUL, rows, 16);
}

describe('WorkerTeam', () => {
  it('turns a trapping kernel into an exception and keeps working afterwards', () => {
    const p = makeProblem(arena, GGMLType.F32, 256, 64, 1, 3);
    // Weights "at" 3.75 GiB: far beyond the memory, so every chunk traps, on every thread (the
    // worker reports its trap on stderr).
    expect(() => matmulJob(0xf0000000 | 0, 256, 64, p.x.byteOffset, p.out.byteOffset)).toThrow();
    matmulJob(p.w.data.byteOffset, 256, 64, p.x.byteOffset, p.out.byteOffset);
    const want = reference(p);
    for (let r = 0; r < 256; r++) expect(p.out[r]).toBeCloseTo(want[r], 4);
  });

  it('refuses work after dispose', () => {
    const t = new WorkerTeam({ threads: 1, memory: arena.memory, module: kernelModule(), kernels });
    t.dispose();
    expect(t.activeThreads).toBe(0);
    expect(() => t.run(OP_MATMUL, 1, 16)).toThrow(/dispose/);
  });
});
