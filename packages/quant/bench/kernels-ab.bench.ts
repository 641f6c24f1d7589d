/**
 * A/B of kernel modules on a shared machine: the prefill matmul (or the decode matvec) of each
 * weight type, the modules measured in alternation round after round, the fastest round of each
 * kept, so that both see the same background load. With one thread the time is the process's CPU
 * time, not wall time: a process that is descheduled on a loaded machine is not charged for it.
 * Prints GOP/s (2 ops per multiply-add) and the ratio of each module to the first.
 *
 *   node --conditions=source --import tsx packages/quant/bench/kernels-ab.bench.ts
 *        --modules old.wasm,new.wasm [--types Q4_0,Q8_0,Q4_K,Q6_K] [--shape 2048x2048]
 *        [--tokens 64] [--rounds 9] [--threads 1]
 *
 * A module is a path to a .wasm file, or plain / relaxed for the shipped builds.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { Arena } from '../src/arena.js';
import type { WeightRef } from '../src/backend.js';
import { plainKernelModule, relaxedKernelModule } from '../src/kernels/module.js';
import { WasmBackend } from '../src/kernels/wasm-backend.js';
import { GGMLType, rowBytes, typeName } from '../src/types.js';
import { randomF32, randomRowBytes, rng } from '../test/helpers/random.js';

const { values } = parseArgs({
  options: {
    modules: { type: 'string', default: 'plain,relaxed' },
    types: { type: 'string', default: 'Q4_0,Q8_0,Q4_K,Q6_K' },
    shape: { type: 'string', default: '2048x2048' },
    tokens: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '9' },
    threads: { type: 'string', default: '1' },
  },
});
const [rows, cols] = values.shape.split('x').map(Number);
const tokens = Number(values.tokens);
const rounds = Number(values.rounds);
const threads = Number(values.threads);
relaxedKernelModule(); // sets V8's relaxed-SIMD flag before any file is compiled
const arena = new Arena({ initialBytes: 64 << 20 });
const variants = await Promise.all(
  values.modules.split(',').map(async (name) => {
    const module = name === 'plain' ? plainKernelModule() : name === 'relaxed' ? relaxedKernelModule() : new WebAssembly.Module(readFileSync(name));
    if (!module) throw new Error(`module ${name} unavailable`);
    return { name: name.endsWith('.wasm') ? basename(name, '.wasm') : name, backend: await WasmBackend.create(arena, { threads, module }) };
  }),
);
const x = arena.allocF32(tokens * cols);
x.set(randomF32(rng(7), tokens * cols, 2));
const out = arena.allocF32(tokens * rows);
const types = values.types.split(',').map((n) => {
  const t = (GGMLType as unknown as Record<string, GGMLType>)[n.trim().toUpperCase()];
  if (t === undefined) throw new Error(`unknown type ${n}`);
  return t;
});
console.log(`${rows}×${cols}, ${tokens} token(s), ${threads} thread(s), fastest of ${rounds} alternating rounds, ${threads === 1 ? 'CPU' : 'wall'} time (GOP/s; ratio to ${variants[0].name})`);
for (const type of types) {
  const bytes = randomRowBytes(rng(type), type, rows * cols);
  const addr = arena.alloc(bytes.length);
  arena.u8(addr, bytes.length).set(bytes);
  const w: WeightRef = { name: typeName(type), type, rows, cols, data: arena.u8(addr, rows * rowBytes(type, cols)) };
  const best = variants.map(() => Infinity);
  const reps = Math.max(1, Math.round(2e9 / (2 * rows * cols * tokens)));
  for (const v of variants) v.backend.matmul(w, x, tokens, out); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [i, v] of variants.entries()) {
      const t0 = performance.now(), c0 = process.cpuUsage();
      for (let k = 0; k < reps; k++) v.backend.matmul(w, x, tokens, out);
      const c = process.cpuUsage(c0);
      const ms = threads === 1 ? (c.user + c.system) / 1000 : performance.now() - t0;
      best[i] = Math.min(best[i], ms / reps);
    }
  }
  const gops = best.map((ms) => (2 * rows * cols * tokens) / (ms * 1e6));
  console.log(`${typeName(type).padEnd(6)} ${variants.map((v, i) => `${v.name} ${gops[i].toFixed(1)} (${(gops[i] / gops[0]).toFixed(2)}×)`).join('   ')}`);
  arena.free(addr);
}
for (const v of variants) v.backend.dispose();
