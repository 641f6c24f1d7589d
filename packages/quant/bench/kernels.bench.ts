/**
 * Kernel micro-benchmark: GOP/s (2 ops per multiply-add) of each weight type's matmul, for the
 * plain-TypeScript reference and the WASM kernels on 1 and 2 threads, as a matrix-vector product
 * (decode) and a matrix-matrix product (prefill).
 *
 *   node --conditions=source --import tsx packages/quant/bench/kernels.bench.ts [--size 2048] [--tokens 32] [--types Q4_0,Q8_0] [--no-ref] [--stat min]
 *
 * --stat min reports the fastest run instead of the median: on a machine shared with other work
 * it estimates what the kernels do when they get the cores.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { Arena } from '../src/arena.js';
import type { ComputeBackend, WeightRef } from '../src/backend.js';
import { WasmBackend } from '../src/kernels/wasm-backend.js';
import { ReferenceBackend } from '../src/reference/backend.js';
import { GGMLType, rowBytes, typeName } from '../src/types.js';
import { randomF32, randomRowBytes, rng } from '../test/helpers/random.js';

const ALL_TYPES: readonly GGMLType[] = [
  GGMLType.Q4_0, GGMLType.Q8_0, GGMLType.F32, GGMLType.F16, GGMLType.Q4_K, GGMLType.Q6_K,
  GGMLType.Q5_0, GGMLType.Q5_1, GGMLType.Q4_1, GGMLType.IQ4_NL, GGMLType.BF16, GGMLType.Q5_K,
  GGMLType.Q3_K, GGMLType.Q2_K,
];

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '2048' },
    tokens: { type: 'string', default: '32' },
    types: { type: 'string' },
    'no-ref': { type: 'boolean', default: false },
    stat: { type: 'string', default: 'p50' },
  },
});
const size = Number(values.size);
if (values.stat !== 'p50' && values.stat !== 'min') throw new Error('--stat is p50 or min');
const stat = values.stat;
const tokens = Number(values.tokens);
const types = values.types
  ? values.types.split(',').map((name) => {
      const t = ALL_TYPES.find((x) => typeName(x) === name.trim().toUpperCase());
      if (t === undefined) throw new Error(`unknown type ${name}`);
      return t;
    })
  : ALL_TYPES;

const arena = new Arena({ initialBytes: 64 << 20 });
const reference = new ReferenceBackend();
const wasm1 = new WasmBackend(arena, { threads: 1 });
const wasm2 = await WasmBackend.create(arena, { threads: 2 });

const x = arena.allocF32(tokens * size);
x.set(randomF32(rng(7), tokens * size, 2));
const out = arena.allocF32(tokens * size);

/** GOP/s (from the median or the fastest run) of `backend` multiplying `w` by `n` activation rows. */
async function measure(backend: ComputeBackend, w: WeightRef, n: number, slow: boolean): Promise<number> {
  const bench = new Bench({
    time: slow ? 100 : 400,
    iterations: slow ? 2 : 10,
    warmup: true,
    warmupTime: slow ? 0 : 150,
    warmupIterations: slow ? 1 : 20,
  });
  bench.add('matmul', () => backend.matmul(w, x, n, out));
  bench.runSync();
  const r = bench.tasks[0].result;
  if (r.state !== 'completed') throw new Error(`benchmark ${r.state}`);
  return (2 * w.rows * w.cols * n) / (r.latency[stat] * 1e6);
}

const fmt = (v: number | undefined): string => (v === undefined ? '—' : v.toFixed(1)).padStart(8);

console.log(`kernels: ${size}×${size} weights, matvec = 1 token, matmul = ${tokens} tokens; GOP/s (${stat === 'p50' ? 'median' : 'fastest run'}); load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`${'type'.padEnd(7)}| ${'matvec:'.padEnd(8)}${'ref'.padStart(8)}${'wasm×1'.padStart(8)}${'wasm×2'.padStart(8)} | ${'matmul:'.padEnd(8)}${'ref'.padStart(8)}${'wasm×1'.padStart(8)}${'wasm×2'.padStart(8)}`);
for (const type of types) {
  const bytes = randomRowBytes(rng(type), type, size * size);
  const addr = arena.alloc(bytes.length);
  const data = arena.u8(addr, size * rowBytes(type, size));
  data.set(bytes);
  const w: WeightRef = { name: typeName(type), type, rows: size, cols: size, data };
  const refMv = values['no-ref'] ? undefined : await measure(reference, w, 1, true);
  const mv1 = await measure(wasm1, w, 1, false);
  const mv2 = await measure(wasm2, w, 1, false);
  const refMm = values['no-ref'] ? undefined : await measure(reference, w, tokens, true);
  const mm1 = await measure(wasm1, w, tokens, false);
  const mm2 = await measure(wasm2, w, tokens, false);
  console.log(`${typeName(type).padEnd(7)}| ${''.padEnd(8)}${fmt(refMv)}${fmt(mv1)}${fmt(mv2)} | ${''.padEnd(8)}${fmt(refMm)}${fmt(mm1)}${fmt(mm2)}`);
  arena.free(addr);
}
wasm1.dispose();
wasm2.dispose();
