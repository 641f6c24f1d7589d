// Run as a child process by no-dispose.test.ts: creates a 2-thread backend, uses it, and never
// disposes it. It must still exit on its own: idle kernel workers may not hold the event loop.
import { Arena } from '../../src/arena.js';
import { WasmBackend } from '../../src/kernels/wasm-backend.js';
import { GGMLType } from '../../src/types.js';
import { makeProblem } from '../kernels/fixtures.js';

const arena = new Arena({ initialBytes: 16 << 20 });
const backend = await WasmBackend.create(arena, { threads: 2 });
const p = makeProblem(arena, GGMLType.Q4_0, 1024, 512, 4, 1);
let shared = false;
for (let i = 0; i < 200 && !shared; i++) {
  const before = backend.workerChunks;
  backend.matmul(p.w, p.x, 4, p.out);
  shared = backend.workerChunks > before;
}
// Still running after an await: the team must stay usable across event-loop turns.
await new Promise((r) => setTimeout(r, 50));
backend.matmul(p.w, p.x, 4, p.out);
console.log(`ok ${backend.activeThreads} ${shared}`);
