// Run as a child process by dispose.test.ts: creates a 2-thread backend, uses it, disposes it,
// and then must exit on its own (no lingering worker may keep the process alive).
import { Arena } from '../../src/arena.js';
import { WasmBackend } from '../../src/kernels/wasm-backend.js';
import { GGMLType } from '../../src/types.js';
import { makeProblem } from '../kernels/fixtures.js';

const arena = new Arena({ initialBytes: 16 << 20 });
const backend = await WasmBackend.create(arena, { threads: 2 });
const p = makeProblem(arena, GGMLType.Q4_0, 256, 512, 3, 1);
backend.matmul(p.w, p.x, 3, p.out);
backend.dispose();
backend.dispose(); // idempotent
console.log(`ok ${backend.activeThreads} ${Number.isFinite(p.out[0])}`);
