/**
 * `pnpm bench:batch`: what a batch of sequences decoding together costs against one sequence.
 * B sequences (1, 2, 4, 8, 16 by default) each get a distinct prompt of `npp` tokens and decode
 * `ntg` tokens together through one `InferenceEngine` (greedy, EOS ignored), on a synthetic
 * TinyLlama-1.1B-shaped model. Printed per B: total decode tokens/s, speed-up over B = 1, and the
 * P50 / P99 inter-token latency. llama.cpp's `llama-batched-bench` (the native build from
 * benchmarks/native-llamacpp.ts) runs the same npp / ntg / npl in the same run as the anchor: its
 * S_TG column (pl·ntg tokens over the decode time), with its default f16 KV cache.
 *
 *   node --conditions=source --import tsx benchmarks/batch.ts [--batches 1,2,4,8,16] [--npp 128]
 *        [--ntg 128] [--threads 2] [--type Q4_0] [--shape tinyllama-1.1b] [--reps 1] [--native | --legato-only] [--json]
 *
 * The anchor runs if the native build is cached, or with --native (which builds it, minutes);
 * --legato-only skips it (profiling).
 * Decode is measured over the window where every sequence of the batch is decoding: from the
 * latest first token (the prompts are prefilled by then) to the earliest last token, counting the
 * tokens emitted inside it; ITL percentiles pool the gaps inside that window over all sequences.
 * With --json: one object per line {model, type, threads, npp, ntg, batch, legato_tps, speedup,
 * itl_p50_ms, itl_p99_ms, native_tps, native_speedup, ratio}.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { InferenceEngine, loadModel, type GenerationResult } from '@legato/core';
import { SHAPES, type SynthType } from '@legato/core/synth';
import { ensureSynthModel } from '@legato/bench';
import { buildNativeLlamaCpp, findNativeLlamaCpp } from './native-llamacpp.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '1,2,4,8,16' },
    npp: { type: 'string', default: '128' },
    ntg: { type: 'string', default: '128' },
    threads: { type: 'string', default: '2' },
    type: { type: 'string', default: 'Q4_0' },
    shape: { type: 'string', default: 'tinyllama-1.1b' },
    reps: { type: 'string', default: '1' },
    native: { type: 'boolean', default: false },
    'legato-only': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const log = (s: string): void => void process.stderr.write(`${s}\n`);
const positive = (name: string, v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} takes a positive integer, got ${v.slice(0, 40)}`);
  return n;
};
const shape = SHAPES[values.shape!];
if (!shape) throw new Error(`unknown shape ${values.shape!.slice(0, 40)}`);
const batches = values.batches!.split(',').map((b) => positive('batches', b));
const npp = positive('npp', values.npp!);
const ntg = positive('ntg', values.ntg!);
const threads = positive('threads', values.threads!);
const reps = positive('reps', values.reps!);
const type = values.type! as SynthType;

const file = await ensureSynthModel({ shape, type, dir: join(root, '.cache', 'legato'), onSynthesize: (f) => log(`synthesizing ${shape.name} ${type} → ${f}`) });

/** llama-batched-bench's S_TG per npl, or undefined when there is no native build to run. */
function nativeAnchor(): Map<number, number> | undefined {
  if (values['legato-only']) return undefined;
  const native = values.native ? buildNativeLlamaCpp({ log }) : findNativeLlamaCpp();
  if (!native) {
    log('llama.cpp anchor skipped: no native build cached (pass --native to build it)');
    return undefined;
  }
  log(`llama-batched-bench (native ${native.commit.slice(0, 12)})…`);
  const maxB = Math.max(...batches);
  const args = ['-m', file, '-c', String(maxB * (npp + ntg)), '-b', '2048', '-ub', '512', '-t', String(threads), '-tb', String(threads),
    '-npp', String(npp), '-ntg', String(ntg), '-npl', batches.join(','), '--output-format', 'jsonl'];
  const out = new Map<number, number[]>();
  for (let rep = 0; rep < reps; rep++) {
    const r = spawnSync(native.batchedBench, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`llama-batched-bench failed (${r.status}): ${r.stderr.slice(-2000)}`);
    for (const line of `${r.stdout}\n${r.stderr}`.split('\n')) {
      if (!line.startsWith('{')) continue;
      const row = JSON.parse(line) as { pl: number; speed_tg: number };
      out.set(row.pl, [...(out.get(row.pl) ?? []), row.speed_tg]);
    }
  }
  return new Map([...out].map(([pl, v]) => [pl, median(v)]));
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

interface BatchRun { tps: number; itl: Float64Array }

/** Decode throughput and ITL over the window where all sequences decode (see the header). */
function decodeWindow(results: GenerationResult[]): BatchRun {
  const t0 = Math.max(...results.map((r) => r.timings.tokenTimes[0]));
  const t1 = Math.min(...results.map((r) => r.timings.tokenTimes[r.timings.tokenTimes.length - 1]));
  let tokens = 0;
  const gaps: number[] = [];
  for (const r of results) {
    const t = r.timings.tokenTimes;
    for (let i = 1; i < t.length; i++) {
      if (t[i] <= t0 || t[i] > t1) continue;
      tokens++;
      if (t[i - 1] >= t0) gaps.push(t[i] - t[i - 1]);
    }
  }
  if (!(t1 > t0) || tokens === 0) throw new Error(`no decode window (first tokens end at ${t0}, last tokens start at ${t1}): raise --ntg`);
  return { tps: (tokens * 1000) / (t1 - t0), itl: Float64Array.from(gaps).sort() };
}

function promptOf(seq: number, n: number, vocab: number, bos: number): number[] {
  // Ordinary tokens after BOS, distinct per sequence so no prefix is shared.
  const range = Math.min(20000, vocab - 300);
  return [bos, ...Array.from({ length: n - 1 }, (_, i) => 300 + ((i * 7919 + seq * 104729 + seq) % range))];
}

const anchor = nativeAnchor();

log(`Legato: loading ${file} with ${threads} thread(s)…`);
const model = await loadModel(file, { threads });
const rows: { batch: number; run: BatchRun; native: number | undefined }[] = [];
try {
  const bos = model.tokenizer.bos ?? 1;
  const V = model.config.vocabSize;
  const runBatch = async (B: number, promptLen: number, tokens: number): Promise<GenerationResult[]> => {
    const engine = new InferenceEngine(model, {
      maxSequences: B,
      contextSize: promptLen + tokens + 8,
      // The whole batch's prompts in one step where possible, as llama-batched-bench does.
      maxBatchTokens: Math.min(2048, Math.max(256, B * promptLen)),
      prefixCaching: false,
    });
    try {
      const gens = Array.from({ length: B }, (_, s) =>
        engine.submit(promptOf(s, promptLen, V, bos), { maxTokens: tokens + 1, ignoreEos: true, temperature: 0 }));
      return await Promise.all(gens.map((g) => g.result()));
    } finally {
      engine.dispose();
    }
  };
  log('Legato: warm-up…');
  await runBatch(Math.min(2, Math.max(...batches)), 16, 8);
  for (const B of batches) {
    log(`Legato: ${B} sequence(s) × (${npp} prompt + ${ntg} decoded)…`);
    const runs: BatchRun[] = [];
    for (let rep = 0; rep < reps; rep++) runs.push(decodeWindow(await runBatch(B, npp, ntg)));
    const mid = [...runs].sort((a, b) => a.tps - b.tps)[(runs.length - 1) >> 1];
    rows.push({ batch: B, run: mid, native: anchor?.get(B) });
  }
} finally {
  model.dispose();
}

const base = rows.find((r) => r.batch === 1);
const lines: string[] = [];
for (const { batch, run, native } of rows) {
  const speedup = base ? run.tps / base.run.tps : NaN;
  const nativeBase = anchor?.get(1);
  const row = {
    model: shape.name, type, threads, npp, ntg, batch,
    legato_tps: run.tps, speedup, itl_p50_ms: percentile(run.itl, 50), itl_p99_ms: percentile(run.itl, 99),
    native_tps: native, native_speedup: native !== undefined && nativeBase ? native / nativeBase : undefined,
    ratio: native !== undefined ? run.tps / native : undefined,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(row)}\n`);
  const f = (x: number | undefined, d = 2): string => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
  lines.push(`| ${String(batch).padStart(2)} | ${f(row.legato_tps).padStart(7)} | ${f(speedup)}× | ${f(row.itl_p50_ms, 1)} | ${f(row.itl_p99_ms, 1)} | ${f(native).padStart(7)} | ${row.native_speedup === undefined ? '–' : `${f(row.native_speedup)}×`} | ${f(row.ratio, 3)} |`);
}
if (!values.json) {
  process.stdout.write(`${shape.name} ${type}, ${threads} thread(s), ${npp}-token prompts, ${ntg} tokens decoded per sequence, median of ${reps}\n\n`);
  process.stdout.write('| B | Legato decode t/s | speed-up | ITL P50 ms | ITL P99 ms | llama-batched-bench S_TG t/s | its speed-up | Legato / llama.cpp |\n|---|---|---|---|---|---|---|---|\n');
  process.stdout.write(`${lines.join('\n')}\n`);
  const eight = rows.find((r) => r.batch === 8);
  if (eight && base) {
    const s = eight.run.tps / base.run.tps;
    process.stdout.write(`\n8 sequences: ${s.toFixed(2)}× one sequence's tokens/s (target ≥ 3.5×) ${s >= 3.5 ? '✓' : '✗'}\n`);
  }
}
