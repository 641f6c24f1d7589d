/**
 * llama-bench's tests, run on this engine's forward pass. `pp N` prefills N tokens into an empty
 * cache in micro-batches; `tg N` generates N tokens one forward pass at a time; `pp N+tg M` does
 * both. Tokens are random ids (BOS first when the model adds one), nothing is sampled or
 * detokenized, each test runs once untimed as a warm-up and then `repetitions` times; a test's
 * figure is the mean ± sample standard deviation of tokens/s over the repetitions. The table is
 * llama-bench's Markdown layout, so the two tools' outputs can be compared line by line.
 */
import type { LlamaModel } from '@legato/core';
import { ContiguousKVCache, LlamaForward } from '@legato/core/internals';
import { MetricsCollector, type CollectedRun } from '@legato/metrics';
import { Rng } from './random.js';

/** One test: prompt tokens, generated tokens (either may be 0, not both). */
export interface LlamaBenchTestSpec {
  nPrompt: number;
  nGen: number;
}

/** Options for {@link runLlamaBench}. */
export interface LlamaBenchOptions {
  /** `-p`: prompt sizes (pp tests). Default [512]. Empty or 0 = none. */
  nPrompt?: readonly number[];
  /** `-n`: generation lengths (tg tests). Default [128]. */
  nGen?: readonly number[];
  /** `-pg`: combined tests. Default none. */
  pg?: readonly (readonly [number, number])[];
  /** `-r`: repetitions per test. Default 5. */
  repetitions?: number;
  /** `-ub`: tokens per forward pass during prefill. Default 512. */
  ubatch?: number;
  /** Untimed first run of each test. Default true. */
  warmup?: boolean;
  seed?: number;
  /** Record per-token timelines for the report. Default true. */
  collectMetrics?: boolean;
  /** Called after every repetition. */
  onProgress?: (p: { test: string; done: number; total: number }) => void;
}

/** The model columns of the table. */
export interface LlamaBenchModelInfo {
  /** llama.cpp's model description: architecture, size class, file type, e.g. "llama 15M Q4_0". */
  type: string;
  /** Bytes of tensor data. */
  sizeBytes: number;
  params: number;
  backend: string;
  threads: number;
}

/** One test's measurements. */
export interface LlamaBenchTest {
  name: string;
  nPrompt: number;
  nGen: number;
  /** Wall time of each repetition (ns). */
  samplesNs: number[];
  /** Tokens/s of each repetition: (nPrompt + nGen) / time. */
  samplesTs: number[];
  avgTs: number;
  stdevTs: number;
}

/** Everything a llama-bench run produced. */
export interface LlamaBenchResult {
  model: LlamaBenchModelInfo;
  tests: LlamaBenchTest[];
  /** Per-test timelines: each repetition is a request (its prefill ends at the first token). */
  runs: { name: string; collected: CollectedRun }[];
}

/** llama.cpp's names of `general.file_type` values. */
const FTYPE_NAMES: Record<number, string> = {
  0: 'all F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 7: 'Q8_0', 8: 'Q5_0', 9: 'Q5_1', 10: 'Q2_K - Medium',
  11: 'Q3_K - Small', 12: 'Q3_K - Medium', 13: 'Q3_K - Large', 14: 'Q4_K - Small', 15: 'Q4_K - Medium',
  16: 'Q5_K - Small', 17: 'Q5_K - Medium', 18: 'Q6_K', 21: 'Q2_K - Small', 32: 'BF16',
};

/** Test name as llama-bench prints it: pp512, tg128, pp512+tg128. */
export function testName(t: LlamaBenchTestSpec): string {
  if (t.nGen === 0) return `pp${t.nPrompt}`;
  if (t.nPrompt === 0) return `tg${t.nGen}`;
  return `pp${t.nPrompt}+tg${t.nGen}`;
}

/** The model's columns: description, tensor bytes, parameters, backend, threads. */
export function llamaBenchModelInfo(model: LlamaModel): LlamaBenchModelInfo {
  let sizeBytes = 0;
  let params = 0;
  for (const t of model.file.tensors.values()) {
    sizeBytes += t.byteSize;
    params += t.nElements;
  }
  const ft = model.metadata['general.file_type'];
  const ftype = typeof ft === 'number' ? (FTYPE_NAMES[ft] ?? `ftype ${ft}`) : 'unknown';
  const size = params < 1e6 ? `${Math.round(params / 1e3)}K` : params < 1e9 ? `${Math.round(params / 1e6)}M` : `${Number((params / 1e9).toFixed(1))}B`;
  const threads = (model.backend as { threads?: unknown }).threads;
  return {
    type: `${model.config.architecture} ${size} ${ftype}`,
    sizeBytes,
    params,
    backend: model.backend.name,
    threads: typeof threads === 'number' ? threads : 1,
  };
}

/** The tests `-p`, `-n` and `-pg` ask for, in llama-bench's order. */
export function llamaBenchTests(o: Pick<LlamaBenchOptions, 'nPrompt' | 'nGen' | 'pg'>): LlamaBenchTestSpec[] {
  const tests: LlamaBenchTestSpec[] = [];
  for (const p of o.nPrompt ?? [512]) if (p > 0) tests.push({ nPrompt: p, nGen: 0 });
  for (const n of o.nGen ?? [128]) if (n > 0) tests.push({ nPrompt: 0, nGen: n });
  for (const [p, n] of o.pg ?? []) if (p > 0 || n > 0) tests.push({ nPrompt: p, nGen: n });
  for (const t of tests) {
    if (!Number.isInteger(t.nPrompt) || !Number.isInteger(t.nGen) || t.nPrompt < 0 || t.nGen < 0) {
      throw new RangeError(`test sizes must be non-negative integers, got pp ${t.nPrompt} tg ${t.nGen}`);
    }
  }
  return tests;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Runs the tests on `model`. */
export async function runLlamaBench(model: LlamaModel, opts: LlamaBenchOptions = {}): Promise<LlamaBenchResult> {
  const tests = llamaBenchTests(opts);
  const reps = opts.repetitions ?? 5;
  if (!Number.isInteger(reps) || reps < 1) throw new RangeError(`repetitions must be a positive integer, got ${reps}`);
  const ubatch = opts.ubatch ?? 512;
  if (!Number.isInteger(ubatch) || ubatch < 1) throw new RangeError(`ubatch must be a positive integer, got ${ubatch}`);
  const c = model.config;
  const rng = new Rng(opts.seed ?? 0);
  const out: LlamaBenchTest[] = [];
  const runs: { name: string; collected: CollectedRun }[] = [];
  const total = tests.length * reps;
  let done = 0;
  for (const spec of tests) {
    const name = testName(spec);
    const ctx = spec.nPrompt + spec.nGen;
    const kvData = model.arena.allocF32(ContiguousKVCache.floatsNeeded(c.nLayers, ctx, c.kvDim));
    const kv = new ContiguousKVCache(kvData, c.nLayers, ctx, c.kvDim);
    const forward = new LlamaForward(c, model.weights, model.backend, model.arena, { maxBatch: Math.max(1, Math.min(ubatch, spec.nPrompt || 1)), maxContext: ctx });
    const tokens = new Int32Array(forward.maxBatch);
    const bos = model.tokenizer.addBos ? model.tokenizer.bos : undefined;
    let metrics: MetricsCollector | undefined;
    try {
      const once = (rep: number): number => {
        const id = `${name}#${rep}`;
        const t0 = performance.now();
        metrics?.onRequestArrival(id, t0, spec.nPrompt);
        for (let pos = 0; pos < spec.nPrompt; ) {
          const n = Math.min(forward.maxBatch, spec.nPrompt - pos);
          for (let i = 0; i < n; i++) tokens[i] = pos === 0 && i === 0 && bos !== undefined ? bos : rng.int(0, c.vocabSize - 1);
          forward.run(tokens, n, pos, kv);
          pos += n;
        }
        if (spec.nPrompt > 0) {
          const t = performance.now();
          metrics?.onPrefill(t0, t, spec.nPrompt, id);
          if (spec.nGen === 0) metrics?.onToken(id, t);
        }
        let token = bos ?? rng.int(0, c.vocabSize - 1);
        for (let i = 0; i < spec.nGen; i++) {
          tokens[0] = token;
          forward.run(tokens, 1, spec.nPrompt + i, kv);
          metrics?.onToken(id, performance.now());
          token = rng.int(0, c.vocabSize - 1);
        }
        const t1 = performance.now();
        metrics?.onFinish(id, t1, 'length');
        return t1 - t0;
      };
      if (opts.warmup ?? true) once(-1);
      if (opts.collectMetrics !== false) metrics = new MetricsCollector({ tokensPerRequest: Math.max(1, spec.nGen) }).start();
      const ns: number[] = [];
      for (let r = 0; r < reps; r++) {
        ns.push(once(r) * 1e6);
        opts.onProgress?.({ test: name, done: ++done, total });
        await turn();
      }
      const ts = ns.map((t) => ((spec.nPrompt + spec.nGen) * 1e9) / t);
      out.push({ name, nPrompt: spec.nPrompt, nGen: spec.nGen, samplesNs: ns, samplesTs: ts, avgTs: mean(ts), stdevTs: sampleStd(ts) });
      if (metrics) {
        await metrics.settle();
        metrics.stop();
        runs.push({ name, collected: metrics.collect() });
      }
    } finally {
      metrics?.stop();
      forward.dispose();
      model.arena.free(kvData.byteOffset);
    }
  }
  return { model: llamaBenchModelInfo(model), tests: out, runs };
}

function mean(v: readonly number[]): number {
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0;
}

/** llama-bench's stdev: the sample standard deviation (n − 1), 0 for a single sample. */
function sampleStd(v: readonly number[]): number {
  if (v.length <= 1) return 0;
  const m = mean(v);
  return Math.sqrt(v.reduce((a, x) => a + (x - m) * (x - m), 0) / (v.length - 1));
}

// ---- the table ------------------------------------------------------------------------------

/** Columns of llama-bench's CPU table and their printf widths (negative = left-aligned). */
const COLUMNS: readonly [string, number][] = [
  ['model', -30],
  ['size', 10],
  ['params', 10],
  ['backend', -10],
  ['threads', 7],
  ['test', 13],
  ['t/s', 20],
];

const pad = (s: string, w: number): string => (w < 0 ? s.padEnd(-w) : s.padStart(w));

/** llama-bench's size cell: MiB below 1 GiB, else GiB, two decimals. */
export function formatModelSize(bytes: number): string {
  return bytes < 1024 ** 3 ? `${(bytes / 1024 ** 2).toFixed(2)} MiB` : `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** llama-bench's params cell: M below a billion, else B, two decimals. */
export function formatParams(n: number): string {
  return n < 1e9 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e9).toFixed(2)} B`;
}

/** The Markdown table, header and one row per test, as llama-bench prints it. */
export function formatLlamaBenchTable(model: LlamaBenchModelInfo, tests: readonly LlamaBenchTest[]): string {
  const line = (cells: readonly string[]): string => `|${cells.map((c, i) => ` ${pad(c, COLUMNS[i][1])} |`).join('')}`;
  const rule = `|${COLUMNS.map(([, w]) => ` ${'-'.repeat(Math.abs(w) - 1)}${w > 0 ? ':' : '-'} |`).join('')}`;
  const rows = tests.map((t) =>
    line([
      model.type,
      formatModelSize(model.sizeBytes),
      formatParams(model.params),
      model.backend,
      String(model.threads),
      t.name,
      `${t.avgTs.toFixed(2)} ± ${t.stdevTs.toFixed(2)}`,
    ]),
  );
  return [line(COLUMNS.map(([h]) => h)), rule, ...rows].join('\n');
}

/** One row of a llama-bench Markdown table. */
export interface LlamaBenchRow {
  /** Every cell by its header (trimmed). */
  cells: Record<string, string>;
  model: string;
  test: string;
  /** Mean tokens/s. */
  ts: number;
  /** Its standard deviation. */
  stdev: number;
}

/**
 * Reads the rows of a llama-bench Markdown table (ours or llama.cpp's, whatever its columns),
 * ignoring any text around it such as llama-bench's "build:" footer.
 */
export function parseLlamaBenchTable(text: string): LlamaBenchRow[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const h = lines.findIndex((l) => l.startsWith('|') && /\|\s*t\/s\s*\|/.test(l) && /\|\s*test\s*\|/.test(l));
  if (h < 0) throw new Error('no llama-bench table found (a header with "test" and "t/s" columns)');
  const split = (l: string): string[] => l.slice(1, l.endsWith('|') ? -1 : undefined).split('|').map((c) => c.trim());
  const headers = split(lines[h]);
  const rows: LlamaBenchRow[] = [];
  for (let i = h + 2; i < lines.length && lines[i].startsWith('|'); i++) {
    const cells = split(lines[i]);
    if (cells.length !== headers.length) throw new Error(`row ${i + 1} has ${cells.length} cells, the header ${headers.length}`);
    const byName: Record<string, string> = {};
    headers.forEach((name, k) => (byName[name] = cells[k]));
    const m = /^([\d.]+)\s*±\s*([\d.]+)$/.exec(byName['t/s']);
    if (!m) throw new Error(`row ${i + 1}: t/s "${byName['t/s']}" is not "mean ± std"`);
    rows.push({ cells: byName, model: byName.model ?? '', test: byName.test, ts: Number(m[1]), stdev: Number(m[2]) });
  }
  return rows;
}

/** llama-bench's JSON output (`-o json`) for the tests. */
export function llamaBenchJson(model: LlamaBenchModelInfo, tests: readonly LlamaBenchTest[]): object[] {
  return tests.map((t) => ({
    model_type: model.type,
    model_size: model.sizeBytes,
    model_n_params: model.params,
    backends: model.backend,
    n_threads: model.threads,
    n_prompt: t.nPrompt,
    n_gen: t.nGen,
    test: t.name,
    avg_ns: Math.round(mean(t.samplesNs)),
    stddev_ns: Math.round(sampleStd(t.samplesNs)),
    avg_ts: t.avgTs,
    stddev_ts: t.stdevTs,
    samples_ns: t.samplesNs.map(Math.round),
    samples_ts: t.samplesTs,
  }));
}
