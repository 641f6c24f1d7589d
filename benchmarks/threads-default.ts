/**
 * `pnpm bench:threads`: is the default thread count a good one on small models? Legato loaded
 * without a thread count (as an app calls `loadModel(path)`), with 1 thread and with 2, on the same
 * file in the same run: llama-bench-style prefill and decode tests (benchmarks/peer-runner.ts, each
 * configuration in its own process), in rounds whose order rotates so that drift in the machine's
 * load falls on every configuration alike. Prints, per test, the median tokens/s of each and the
 * default's ratio to the better of 1 and 2 threads.
 *   node --conditions=source --import tsx benchmarks/threads-default.ts [--shape tiny-15m]
 *        [--types Q4_0,F32] [--tests pp16,pp128,tg128] [--rounds 3] [--reps 10] [--json]
 * Where the default is itself 1 or 2 threads (1 or 2 cores), its ratio to that same configuration
 * measured apart shows the run's noise: short tests (pp16 is a few ms) need the reps.
 */
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SHAPES, type SynthType } from '@legato/core/synth';
import { ensureSynthModel } from '@legato/bench';
import { runPeerSide } from './peer-side.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    shape: { type: 'string', default: 'tiny-15m' },
    types: { type: 'string', default: 'Q4_0,F32' },
    tests: { type: 'string', default: 'pp16,pp128,tg128' },
    rounds: { type: 'string', default: '3' },
    reps: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
  },
});
const shape = SHAPES[values.shape!];
if (!shape) throw new Error(`unknown shape ${values.shape}`);
const tests = values.tests!.split(',');
const rounds = Number(values.rounds);
const log = (s: string): void => void process.stderr.write(`${s}\n`);

const configs = ['default', '1', '2'] as const;
type Config = (typeof configs)[number];

const run = (model: string, threads: Config): Record<string, number[]> =>
  runPeerSide('legato', model, tests.join(','), threads === 'default' ? 'default' : Number(threads), values.reps!).results;

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const dir = join(root, '.cache', 'legato');
const lines: string[] = [];
for (const type of values.types!.split(',')) {
  const file = await ensureSynthModel({ shape, type: type as SynthType, dir, onSynthesize: (f) => log(`synthesizing ${shape.name} ${type} → ${f}`) });
  const samples: Record<Config, Record<string, number[]>> = { default: {}, 1: {}, 2: {} };
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < configs.length; i++) {
      const c = configs[(i + round) % configs.length];
      log(`${type} round ${round + 1}/${rounds}: threads ${c}…`);
      for (const [test, xs] of Object.entries(run(file, c))) (samples[c][test] ??= []).push(...xs);
    }
  }
  for (const test of tests) {
    const m = Object.fromEntries(configs.map((c) => [c, median(samples[c][test])])) as Record<Config, number>;
    const best = Math.max(m[1], m[2]);
    const row = { shape: shape.name, type, test, default_tps: m.default, t1_tps: m[1], t2_tps: m[2], ratio_to_best: m.default / best };
    if (values.json) process.stdout.write(`${JSON.stringify(row)}\n`);
    lines.push(`| ${shape.name} | ${type} | ${test} | ${m.default.toFixed(1)} | ${m[1].toFixed(1)} | ${m[2].toFixed(1)} | ${row.ratio_to_best.toFixed(3)} |`);
    log(lines[lines.length - 1]);
  }
}
if (!values.json) {
  process.stdout.write(`Legato tokens/s, median of ${rounds} rounds × ${values.reps} reps; default = loadModel without threads (${availableParallelism()} cores here).\n\n`);
  process.stdout.write('| shape | type | test | default | 1 thread | 2 threads | default ÷ best |\n|---|---|---|---|---|---|---|\n');
  process.stdout.write(`${lines.join('\n')}\n`);
}
