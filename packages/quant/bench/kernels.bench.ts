/**
 * Kernel micro-benchmark: GOP/s (2 ops per multiply-add) of each weight type's matmul, for the
 * plain-TypeScript reference and the WASM kernels on 1 and 2 threads, as a matrix-vector product
 * (decode) and a matrix-matrix product (prefill), for each weight shape.
 *
 *   node --conditions=source --import tsx packages/quant/bench/kernels.bench.ts [--shapes 2048x2048,5632x2048,32000x2048]
 *        [--tokens 32] [--types Q4_0,Q8_0] [--no-ref] [--stat min] [--stream-mb 640] [--modules plain,relaxed]
 *        [--no-matvec]
 *
 * Shapes are rows×cols. The matvec cycles through enough copies of the matrix to read at least
 * --stream-mb MB per pass, so its weights stream from DRAM as a real model's do (a single matrix
 * of a few MB would sit in the last-level cache); it also reports that rate in GB/s of weights.
 * The reference runs on the first shape only. --stat min reports the fastest run instead of the
 * median: on a machine shared with other work it estimates what the kernels do when they get the
 * cores. --modules lists kernel modules to compare in the same run (auto = kernelModule(), plain =
 * the SIMD128 build, relaxed = the relaxed-SIMD build, or a path to a .wasm file, e.g. a copy of
 * an earlier build for an A/B comparison), one row each, measured alternately.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { Arena } from '../src/arena.js';
import type { ComputeBackend, WeightRef } from '../src/backend.js';
import { WasmBackend } from '../src/kernels/wasm-backend.js';
import { kernelModule, plainKernelModule, relaxedKernelModule } from '../src/kernels/module.js';
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
    shapes: { type: 'string', default: '2048x2048,5632x2048,32000x2048' },
    tokens: { type: 'string', default: '32' },
    types: { type: 'string' },
    'no-ref': { type: 'boolean', default: false },
    stat: { type: 'string', default: 'p50' },
    'stream-mb': { type: 'string', default: '640' },
    modules: { type: 'string', default: 'auto' },
    'no-matvec': { type: 'boolean', default: false },
  },
});
if (values.stat !== 'p50' && values.stat !== 'min') throw new Error('--stat is p50 or min');
const stat = values.stat;
const tokens = Number(values.tokens);
const streamBytes = Number(values['stream-mb']) * 1e6;
const shapes = values.shapes.split(',').map((s) => {
  const [rows, cols] = s.toLowerCase().split('x').map(Number);
  if (!(rows > 0 && cols > 0 && cols % 256 === 0)) throw new Error(`bad shape ${s} (rows×cols, cols a multiple of 256)`);
  return { rows, cols };
});
const types = values.types
  ? values.types.split(',').map((name) => {
      const t = ALL_TYPES.find((x) => typeName(x) === name.trim().toUpperCase());
      if (t === undefined) throw new Error(`unknown type ${name}`);
      return t;
    })
  : ALL_TYPES;

const maxCols = Math.max(...shapes.map((s) => s.cols));
const maxRows = Math.max(...shapes.map((s) => s.rows));
const arena = new Arena({ initialBytes: 64 << 20 });
const reference = new ReferenceBackend();
const variants = await Promise.all(
  values.modules.split(',').map(async (name) => {
    const fromFile = name.endsWith('.wasm');
    // A file needs the relaxed-SIMD flag set before it compiles, which relaxedKernelModule() does.
    if (fromFile) relaxedKernelModule();
    const module = fromFile
      ? new WebAssembly.Module(readFileSync(name))
      : name === 'plain' ? plainKernelModule() : name === 'relaxed' ? relaxedKernelModule() : name === 'auto' ? kernelModule() : undefined;
    if (!module) throw new Error(`kernel module ${name} is unknown or not supported here`);
    const wasm1 = new WasmBackend(arena, { threads: 1, module });
    const wasm2 = await WasmBackend.create(arena, { threads: 2, module });
    return { name: fromFile ? basename(name, '.wasm') : name, wasm1, wasm2 };
  }),
);
const label = (type: GGMLType, name: string): string => (variants.length > 1 ? `${typeName(type)}/${name}` : typeName(type));

const x = arena.allocF32(tokens * maxCols);
x.set(randomF32(rng(7), tokens * maxCols, 2));
const out = arena.allocF32(tokens * maxRows);

/**
 * GOP/s (from the median or the fastest run) of `backend` multiplying `n` activation rows by each
 * of `ws` (same shape) in turn.
 */
function measure(backend: ComputeBackend, ws: readonly WeightRef[], n: number, slow: boolean): number {
  const bench = new Bench({
    time: slow ? 100 : 400,
    iterations: slow ? 2 : 10,
    warmup: true,
    warmupTime: slow ? 0 : 150,
    warmupIterations: slow ? 1 : 3,
  });
  bench.add('matmul', () => {
    for (const w of ws) backend.matmul(w, x, n, out);
  });
  bench.runSync();
  const r = bench.tasks[0].result;
  if (r.state !== 'completed') throw new Error(`benchmark ${r.state}`);
  const w = ws[0];
  return (2 * w.rows * w.cols * n * ws.length) / (r.latency[stat] * 1e6);
}

const fmt = (v: number | undefined, width = 8): string => (v === undefined ? '—' : v.toFixed(1)).padStart(width);

console.log(
  `kernels: matvec = 1 token over ≥ ${values['stream-mb']} MB of weights (GOP/s, and GB/s of weights), ` +
    `matmul = ${tokens} tokens (GOP/s); ${stat === 'p50' ? 'median' : 'fastest run'}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
);
console.log(
  `${'type'.padEnd(variants.length > 1 ? 24 : 7)}${'shape'.padEnd(12)}| ${'matvec:'.padEnd(8)}${'ref'.padStart(8)}${'wasm×1'.padStart(8)}${'wasm×2'.padStart(8)}` +
    `${'GB/s×1'.padStart(8)}${'GB/s×2'.padStart(8)} | ${'matmul:'.padEnd(8)}${'ref'.padStart(8)}${'wasm×1'.padStart(8)}${'wasm×2'.padStart(8)}`,
);
for (const type of types) {
  for (const [si, { rows, cols }] of shapes.entries()) {
    const bytes = randomRowBytes(rng(type), type, rows * cols);
    const copies = Math.max(1, Math.ceil(streamBytes / bytes.length));
    const addrs: number[] = [];
    const ws: WeightRef[] = [];
    for (let i = 0; i < copies; i++) {
      const addr = arena.alloc(bytes.length);
      arena.u8(addr, bytes.length).set(bytes);
      addrs.push(addr);
      ws.push({ name: typeName(type), type, rows, cols, data: arena.u8(addr, rows * rowBytes(type, cols)) });
    }
    const one = ws.slice(0, 1);
    const withRef = si === 0 && !values['no-ref'];
    const gbs = (gops: number): number => (gops / (2 * rows * cols)) * bytes.length;
    const refMv = withRef ? measure(reference, one, 1, true) : undefined;
    const refMm = withRef ? measure(reference, one, tokens, true) : undefined;
    const rowsOut = variants.map(() => ({ mv1: undefined as number | undefined, mv2: undefined as number | undefined, mm1: 0, mm2: 0 }));
    for (const [vi, { wasm1, wasm2 }] of variants.entries()) {
      if (values['no-matvec']) break;
      rowsOut[vi].mv1 = measure(wasm1, ws, 1, false);
      rowsOut[vi].mv2 = measure(wasm2, ws, 1, false);
    }
    for (const [vi, { wasm1, wasm2 }] of variants.entries()) {
      rowsOut[vi].mm1 = measure(wasm1, one, tokens, false);
      rowsOut[vi].mm2 = measure(wasm2, one, tokens, false);
    }
    for (const [vi, { name }] of variants.entries()) {
      const { mv1, mv2, mm1, mm2 } = rowsOut[vi];
      console.log(
        `${label(type, name).padEnd(variants.length > 1 ? 24 : 7)}${`${rows}×${cols}`.padEnd(12)}| ${''.padEnd(8)}${fmt(refMv)}${fmt(mv1)}${fmt(mv2)}${fmt(mv1 && gbs(mv1))}${fmt(mv2 && gbs(mv2))}` +
          ` | ${''.padEnd(8)}${fmt(refMm)}${fmt(mm1)}${fmt(mm2)}`,
      );
    }
    for (const a of addrs) arena.free(a);
  }
}
for (const { wasm1, wasm2 } of variants) {
  wasm1.dispose();
  wasm2.dispose();
}
