/**
 * `pnpm bench:peer`: llama-bench's pp128 / pp512 / tg128 on synthetic TinyLlama-1.1B-shaped
 * models, Legato and llama.cpp (node-llama-cpp's prebuilt binary) side by side in the same run,
 * same threads, each side in its own process (so peak RSS is per side), alternating per model.
 * With several thread counts (--threads 1,2) each is run in turn per model, and a last table gives
 * each side's speed-up over its first thread count, measured in the same run.
 *   node --conditions=source --import tsx benchmarks/peer.ts [--types Q4_0,Q8_0,Q4_K_M] [--threads 2|1,2]
 *        [--tests pp128,pp512,tg128] [--reps 3] [--shape tinyllama-1.1b] [--json]
 * With --json: one object per line {model, type, test, threads, legato_tps, llamacpp_tps, ratio,
 * legato_rss_mb, llamacpp_rss_mb}.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SHAPES, synthesizeModel, type SynthType } from '@legato/core/synth';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    types: { type: 'string', default: 'Q4_0,Q8_0,Q4_K_M' },
    threads: { type: 'string', default: '2' },
    tests: { type: 'string', default: 'pp128,pp512,tg128' },
    reps: { type: 'string', default: '3' },
    shape: { type: 'string', default: 'tinyllama-1.1b' },
    json: { type: 'boolean', default: false },
  },
});
const shape = SHAPES[values.shape!];
if (!shape) throw new Error(`unknown shape ${values.shape}`);
const log = (s: string): void => void process.stderr.write(`${s}\n`);

interface Side { results: Record<string, number[]>; maxRssMb: number }
const threadCounts = values.threads!.split(',').map(Number);
if (!threadCounts.every((t) => Number.isInteger(t) && t >= 1)) throw new Error(`--threads takes positive integers, got ${values.threads}`);

function runSide(engine: 'legato' | 'llamacpp', model: string, threads: number): Side {
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', join(root, 'benchmarks/peer-runner.ts'), engine, model, values.tests!, String(threads), values.reps!], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    cwd: root,
  });
  if (r.status !== 0) throw new Error(`${engine} runner failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Side;
}

const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
const std = (a: number[]): number => Math.sqrt(a.reduce((x, y) => x + (y - mean(a)) ** 2, 0) / Math.max(1, a.length - 1));

const dir = join(root, '.cache', 'legato');
mkdirSync(dir, { recursive: true });
const rows: string[] = [];
const scaling: string[] = [];
for (const type of values.types!.split(',')) {
  const file = join(dir, `synth-${shape.name}-${type}.gguf`);
  if (!existsSync(file)) {
    log(`synthesizing ${shape.name} ${type} → ${file}`);
    await synthesizeModel(file, { shape, type: type as SynthType, seed: 1 });
  }
  const first: Record<string, { legato: number; llamacpp: number }> = {};
  for (const threads of threadCounts) {
    log(`${type}, ${threads} thread(s): llama.cpp…`);
    const peer = runSide('llamacpp', file, threads);
    log(`${type}, ${threads} thread(s): Legato…`);
    const ours = runSide('legato', file, threads);
    for (const test of values.tests!.split(',')) {
      const a = ours.results[test];
      const b = peer.results[test];
      const row = {
        model: shape.name, type, test, threads,
        legato_tps: mean(a), llamacpp_tps: mean(b), ratio: mean(a) / mean(b),
        legato_rss_mb: Math.round(ours.maxRssMb), llamacpp_rss_mb: Math.round(peer.maxRssMb),
      };
      if (values.json) process.stdout.write(`${JSON.stringify(row)}\n`);
      rows.push(`| ${shape.name} | ${type.padEnd(6)} | ${test.padEnd(6)} | ${threads} | ${mean(a).toFixed(2).padStart(8)} ± ${std(a).toFixed(2).padStart(6)} | ${mean(b).toFixed(2).padStart(8)} ± ${std(b).toFixed(2).padStart(6)} | ${row.ratio.toFixed(3)} | ${row.legato_rss_mb} | ${row.llamacpp_rss_mb} |`);
      const key = `${type} ${test}`;
      if (threads === threadCounts[0]) first[key] = { legato: mean(a), llamacpp: mean(b) };
      else scaling.push(`| ${type.padEnd(6)} | ${test.padEnd(6)} | ${threadCounts[0]} → ${threads} | ${(mean(a) / first[key].legato).toFixed(2)}× | ${(mean(b) / first[key].llamacpp).toFixed(2)}× |`);
    }
  }
}
if (!values.json) {
  process.stdout.write('| model | type | test | threads | Legato t/s | llama.cpp t/s | ratio | Legato RSS MB | llama.cpp RSS MB |\n|---|---|---|---|---|---|---|---|---|\n');
  process.stdout.write(`${rows.join('\n')}\n`);
  if (scaling.length > 0) {
    process.stdout.write('\n| type | test | threads | Legato speed-up | llama.cpp speed-up |\n|---|---|---|---|---|\n');
    process.stdout.write(`${scaling.join('\n')}\n`);
  }
}
