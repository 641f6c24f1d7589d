/**
 * `pnpm bench:peer`: llama-bench's pp128 / pp512 / tg128 on synthetic TinyLlama-1.1B-shaped
 * models, Legato and llama.cpp (node-llama-cpp's prebuilt binary) side by side in the same run,
 * same threads, each side in its own process (so peak RSS is per side), alternating per model.
 * With several thread counts (--threads 1,2) each is run in turn per model, and a last table gives
 * each side's speed-up over its first thread count, measured in the same run.
 * With --native a third side runs: llama-bench from llama.cpp built on this machine
 * (benchmarks/native-llamacpp.ts; built on first use, minutes), and Legato's ratio is printed
 * against each llama.cpp and against the better of the two per test.
 *   node --conditions=source --import tsx benchmarks/peer.ts [--types Q4_0,Q8_0,Q4_K_M] [--threads 2|1,2]
 *        [--tests pp128,pp512,tg128] [--reps 3] [--shape tinyllama-1.1b] [--native] [--json]
 * With --json: one object per line {model, type, test, threads, legato_tps, llamacpp_tps, ratio,
 * legato_rss_mb, llamacpp_rss_mb}, plus with --native {native_tps, ratio_native, ratio_best,
 * native_rss_mb}.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SHAPES, type SynthType } from '@legato/core/synth';
import { ensureSynthModel } from '@legato/bench';
import { buildNativeLlamaCpp } from './native-llamacpp.js';
import { runPeerSide, type Side } from './peer-side.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    types: { type: 'string', default: 'Q4_0,Q8_0,Q4_K_M' },
    threads: { type: 'string', default: '2' },
    tests: { type: 'string', default: 'pp128,pp512,tg128' },
    reps: { type: 'string', default: '3' },
    shape: { type: 'string', default: 'tinyllama-1.1b' },
    native: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const shape = SHAPES[values.shape!];
if (!shape) throw new Error(`unknown shape ${values.shape}`);
const log = (s: string): void => void process.stderr.write(`${s}\n`);

const threadCounts = values.threads!.split(',').map(Number);
if (!threadCounts.every((t) => Number.isInteger(t) && t >= 1)) throw new Error(`--threads takes positive integers, got ${values.threads}`);

const runSide = (engine: 'legato' | 'llamacpp', model: string, threads: number): Side => runPeerSide(engine, model, values.tests!, threads, values.reps!);

/**
 * llama-bench (native build) on the same file, tests and threads: its own warm-up, `reps`
 * repetitions; peak RSS through GNU time when the machine has it.
 */
function runNative(bench: string, model: string, threads: number): Side {
  const tests = values.tests!.split(',');
  const pp = tests.filter((t) => t.startsWith('pp')).map((t) => t.slice(2));
  const tg = tests.filter((t) => t.startsWith('tg')).map((t) => t.slice(2));
  const args = [bench, '-m', model, '-t', String(threads), '-r', values.reps!, '-o', 'json', '-p', pp.join(',') || '0', '-n', tg.join(',') || '0'];
  const tmp = mkdtempSync(join(tmpdir(), 'legato-peer-'));
  const rssFile = join(tmp, 'rss');
  const gnuTime = existsSync('/usr/bin/time');
  try {
    const r = gnuTime
      ? spawnSync('/usr/bin/time', ['-f', '%M', '-o', rssFile, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 })
      : spawnSync(args[0], args.slice(1), { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`llama-bench failed (${r.status}): ${r.stderr.slice(-2000)}`);
    const rows = JSON.parse(r.stdout) as { n_prompt: number; n_gen: number; samples_ts: number[] }[];
    const results: Record<string, number[]> = {};
    for (const row of rows) {
      const test = row.n_gen === 0 ? `pp${row.n_prompt}` : row.n_prompt === 0 ? `tg${row.n_gen}` : undefined;
      if (test && tests.includes(test)) results[test] = row.samples_ts;
    }
    const maxRssMb = gnuTime ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024 : NaN;
    return { results, maxRssMb };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const native = values.native ? buildNativeLlamaCpp({ log }) : undefined;

const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
const std = (a: number[]): number => Math.sqrt(a.reduce((x, y) => x + (y - mean(a)) ** 2, 0) / Math.max(1, a.length - 1));

const dir = join(root, '.cache', 'legato');
const rows: string[] = [];
const scaling: string[] = [];
for (const type of values.types!.split(',')) {
  const file = await ensureSynthModel({ shape, type: type as SynthType, dir, onSynthesize: (f) => log(`synthesizing ${shape.name} ${type} → ${f}`) });
  const first: Record<string, { legato: number; llamacpp: number; native: number }> = {};
  for (const threads of threadCounts) {
    log(`${type}, ${threads} thread(s): llama.cpp…`);
    const peer = runSide('llamacpp', file, threads);
    let nat: Side | undefined;
    if (native) {
      log(`${type}, ${threads} thread(s): llama.cpp native (llama-bench)…`);
      nat = runNative(native.bench, file, threads);
    }
    log(`${type}, ${threads} thread(s): Legato…`);
    const ours = runSide('legato', file, threads);
    for (const test of values.tests!.split(',')) {
      const a = ours.results[test];
      const b = peer.results[test];
      const c = nat?.results[test];
      if (nat && !c) throw new Error(`llama-bench gave no ${test} result`);
      const cell = (x: number[]): string => `${mean(x).toFixed(2).padStart(8)} ± ${std(x).toFixed(2).padStart(6)}`;
      const row = {
        model: shape.name, type, test, threads,
        legato_tps: mean(a), llamacpp_tps: mean(b), ratio: mean(a) / mean(b),
        legato_rss_mb: Math.round(ours.maxRssMb), llamacpp_rss_mb: Math.round(peer.maxRssMb),
        ...(c && nat ? {
          native_tps: mean(c), ratio_native: mean(a) / mean(c),
          ratio_best: mean(a) / Math.max(mean(b), mean(c)), native_rss_mb: Math.round(nat.maxRssMb),
        } : {}),
      };
      if (values.json) process.stdout.write(`${JSON.stringify(row)}\n`);
      rows.push(c
        ? `| ${shape.name} | ${type.padEnd(6)} | ${test.padEnd(6)} | ${threads} | ${cell(a)} | ${cell(b)} | ${cell(c)} | ${row.ratio.toFixed(3)} | ${row.ratio_native!.toFixed(3)} | ${row.ratio_best!.toFixed(3)} | ${row.legato_rss_mb} | ${row.llamacpp_rss_mb} | ${row.native_rss_mb} |`
        : `| ${shape.name} | ${type.padEnd(6)} | ${test.padEnd(6)} | ${threads} | ${cell(a)} | ${cell(b)} | ${row.ratio.toFixed(3)} | ${row.legato_rss_mb} | ${row.llamacpp_rss_mb} |`);
      log(rows[rows.length - 1]); // progress: long runs on a busy machine keep what they measured
      const key = `${type} ${test}`;
      if (threads === threadCounts[0]) first[key] = { legato: mean(a), llamacpp: mean(b), native: c ? mean(c) : NaN };
      else {
        const nativeCol = c ? ` ${(mean(c) / first[key].native).toFixed(2)}× |` : '';
        scaling.push(`| ${type.padEnd(6)} | ${test.padEnd(6)} | ${threadCounts[0]} → ${threads} | ${(mean(a) / first[key].legato).toFixed(2)}× | ${(mean(b) / first[key].llamacpp).toFixed(2)}× |${nativeCol}`);
      }
    }
  }
}
if (!values.json) {
  if (native) {
    process.stdout.write(`llama.cpp ${native.commit.slice(0, 12)}: "prebuilt" is node-llama-cpp's binary, "native" is llama-bench built here (${native.cmakeFlags.join(' ')}); "best" is the faster of the two per test.\n\n`);
    process.stdout.write('| model | type | test | threads | Legato t/s | llama.cpp prebuilt t/s | llama.cpp native t/s | × prebuilt | × native | × best | Legato RSS MB | prebuilt RSS MB | native RSS MB |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n');
  } else {
    process.stdout.write('| model | type | test | threads | Legato t/s | llama.cpp t/s | ratio | Legato RSS MB | llama.cpp RSS MB |\n|---|---|---|---|---|---|---|---|---|\n');
  }
  process.stdout.write(`${rows.join('\n')}\n`);
  if (scaling.length > 0) {
    process.stdout.write(`\n| type | test | threads | Legato speed-up | llama.cpp speed-up |${native ? ' native speed-up |' : ''}\n|---|---|---|---|---|${native ? '---|' : ''}\n`);
    process.stdout.write(`${scaling.join('\n')}\n`);
  }
}
