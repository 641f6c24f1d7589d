/**
 * `legato bench`: llama-bench's pp/tg tests with its table, and `legato bench serve`, a serving
 * load (vLLM's `bench serve`: arrival rate or fixed concurrency, goodput for SLOs) run in-process
 * against the engine. Both write a report (JSON with per-token timelines, Markdown, SVG, HTML).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  defaultReportDir,
  formatLlamaBenchTable,
  formatServeSummary,
  llamaBenchJson,
  parseGoodputSlo,
  ProgressBar,
  randomRequests,
  runLlamaBench,
  serveEngine,
} from '@legato/bench';
import { writeReport } from '@legato/metrics';
import { KV_FLAGS, kvContextOptions } from '../kv-options.js';
import { floatOption, info, intOption, parseCommandArgs, UsageError } from '../usage.js';
import { openModelFor } from './lab.js';

const USAGE = 'legato bench [-m model.gguf] [-p 512] [-n 128] [--pg 512,128] [-r 5] [--ubatch 512] [-t threads] [--backend auto|wasm|reference] ' +
  '[--shape tiny-15m] [--type Q4_0] [--out dir] [--json]\n' +
  '       legato bench serve [-m model.gguf] [--num-prompts 32] [--input-len 64] [--output-len 64] [--range-ratio 0] ' +
  '[--request-rate inf] [--burstiness 1] [--max-concurrency n] [--goodput ttft:MS tpot:MS e2el:MS] [--max-num-seqs 8] ' +
  '[--max-batch-tokens 256] [--kv-type f16] [--block-size 16] [--kv-memory SIZE] [--gc POLICY] [--no-prefix-cache] [--seed 0] [--out dir] [--json]\n' +
  '       legato bench serve --url http://host:port …  (any OpenAI-compatible server; see legato bench serve --url x --help)';

const MODEL_OPTIONS = {
  model: { type: 'string', short: 'm' },
  backend: { type: 'string' },
  threads: { type: 'string', short: 't' },
  shape: { type: 'string' },
  type: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function bench(argv: string[]): Promise<void> {
  if (argv[0] === 'serve') return serve(argv.slice(1));
  const { values } = parseCommandArgs('bench', {
    args: argv,
    options: {
      ...MODEL_OPTIONS,
      'n-prompt': { type: 'string', short: 'p', multiple: true },
      'n-gen': { type: 'string', short: 'n', multiple: true },
      pg: { type: 'string', multiple: true },
      repetitions: { type: 'string', short: 'r' },
      ubatch: { type: 'string' },
    },
  });
  if (values.help) return void process.stdout.write(`usage: ${USAGE}\n`);
  const nPrompt = intList('n-prompt', values['n-prompt']) ?? [512];
  const nGen = intList('n-gen', values['n-gen']) ?? [128];
  const pg = (values.pg ?? []).map((s): [number, number] => {
    const m = /^(\d+),(\d+)$/.exec(s.trim());
    if (!m) throw new UsageError(`--pg takes pp,tg (e.g. 512,128), got "${s}"`);
    return [Number(m[1]), Number(m[2])];
  });
  const repetitions = intOption('--repetitions', values.repetitions, 1) ?? 5;
  const ubatch = intOption('--ubatch', values.ubatch, 1);
  const model = await openModelFor(values, 'tiny-15m', 'bench');
  try {
    const bar = new ProgressBar(1);
    const result = await runLlamaBench(model, {
      nPrompt,
      nGen,
      pg,
      repetitions,
      ubatch,
      onProgress: (p) => {
        bar.total = p.total;
        bar.update(p.done, p.test);
      },
    });
    bar.done();
    const dir = values.out ?? defaultReportDir('bench');
    const table = formatLlamaBenchTable(result.model, result.tests);
    const files = await writeReport(dir, {
      title: 'legato bench (llama-bench tests)',
      description: `${table}\n\nEach repetition of a test is one request in the timelines: a pp test's prefill ends at its single token; a tg test emits one token per forward pass.`,
      runs: result.runs.map((r) => ({ name: r.name, ...r.collected })),
      meta: { model: result.model.type, backend: result.model.backend, threads: result.model.threads, repetitions },
    });
    const json = llamaBenchJson(result.model, result.tests);
    await writeFile(join(dir, 'llama-bench.json'), `${JSON.stringify(json, null, 2)}\n`);
    await writeFile(join(dir, 'llama-bench.md'), `${table}\n`);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(json)}\n`);
      info(`report: ${files.html}`);
    } else {
      process.stdout.write(`${table}\n\nreport: ${files.html}\n`);
    }
  } finally {
    model.dispose();
  }
}

async function serve(argv: string[]): Promise<void> {
  // With --url the load goes to an OpenAI-compatible server over HTTP instead of an in-process engine.
  if (argv.some((a) => a === '--url' || a.startsWith('--url='))) return (await import('./bench-serve-http.js')).benchServeHttp(argv);
  const { values, positionals } = parseCommandArgs('bench', {
    args: argv,
    options: {
      ...MODEL_OPTIONS,
      ...KV_FLAGS,
      'num-prompts': { type: 'string' },
      'input-len': { type: 'string' },
      'output-len': { type: 'string' },
      'range-ratio': { type: 'string' },
      'request-rate': { type: 'string' },
      burstiness: { type: 'string' },
      'max-concurrency': { type: 'string' },
      goodput: { type: 'string', multiple: true },
      'max-num-seqs': { type: 'string' },
      'max-batch-tokens': { type: 'string' },
      seed: { type: 'string' },
    },
    // vLLM's --goodput takes several objectives after one flag: "--goodput ttft:500 tpot:50".
    allowPositionals: true,
  });
  if (values.help) return void process.stdout.write(`usage: ${USAGE}\n`);
  for (const p of positionals) {
    if (!/^(ttft|tpot|e2el):/.test(p)) throw new UsageError(`unexpected argument "${p}" (see legato bench --help)`);
  }
  const rateText = values['request-rate'] ?? 'inf';
  const rate = rateText === 'inf' ? Infinity : floatOption('--request-rate', rateText)!;
  if (!(rate > 0)) throw new UsageError(`--request-rate must be > 0 or inf, got "${rateText}"`);
  const burstiness = floatOption('--burstiness', values.burstiness) ?? 1;
  if (!(burstiness > 0)) throw new UsageError(`--burstiness must be > 0, got "${values.burstiness}"`);
  const rangeRatio = floatOption('--range-ratio', values['range-ratio']) ?? 0;
  if (!(rangeRatio >= 0 && rangeRatio < 1)) throw new UsageError(`--range-ratio must be in [0, 1), got "${values['range-ratio']}"`);
  let slo;
  try {
    slo = parseGoodputSlo([...(values.goodput ?? []), ...positionals]);
  } catch (e) {
    throw new UsageError(`--goodput: ${(e as Error).message}`);
  }
  const seed = intOption('--seed', values.seed) ?? 0;
  const count = intOption('--num-prompts', values['num-prompts'], 1) ?? 32;
  const inputLen = intOption('--input-len', values['input-len'], 1) ?? 64;
  const outputLen = intOption('--output-len', values['output-len'], 1) ?? 64;
  const maxConcurrency = intOption('--max-concurrency', values['max-concurrency'], 1);
  const kv = kvContextOptions(values);
  const model = await openModelFor(values, 'stories42m', 'bench serve');
  try {
    const requests = randomRequests({ count, inputLen, outputLen, rangeRatio, vocabSize: model.config.vocabSize, seed });
    const bar = new ProgressBar(count);
    const result = await serveEngine(model, requests, {
      rate,
      burstiness,
      maxConcurrency,
      seed,
      slo,
      engine: {
        maxSequences: intOption('--max-num-seqs', values['max-num-seqs'], 1),
        maxBatchTokens: intOption('--max-batch-tokens', values['max-batch-tokens'], 1),
        kvType: kv.kvType,
        blockSize: kv.blockSize,
        kvMemoryBytes: kv.kvMemoryBytes,
        gc: kv.gc,
        prefixCaching: kv.prefixCaching,
      },
      onProgress: (p) => bar.update(p.done, 'requests'),
    });
    bar.done();
    const text = formatServeSummary(result.summary);
    const dir = values.out ?? defaultReportDir('bench-serve');
    const files = await writeReport(dir, {
      title: 'legato bench serve',
      description: text,
      runs: [{ name: 'serve', ...result.collected }],
      meta: {
        num_prompts: count,
        input_len: inputLen,
        output_len: outputLen,
        range_ratio: rangeRatio,
        request_rate: rateText,
        burstiness,
        max_concurrency: maxConcurrency ?? 'none',
        seed,
      },
    });
    const summary = { ...result.summary, requests: result.requests, report: files.html };
    await writeFile(join(dir, 'serve.json'), `${JSON.stringify(summary, null, 1)}\n`);
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else process.stdout.write(`${text}\n\nreport: ${files.html}\n`);
  } finally {
    model.dispose();
  }
}

/** `-p 128,512 -p 1024` → [128, 512, 1024]. */
function intList(flag: string, v: string[] | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  return v.flatMap((s) => s.split(',')).map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${flag} takes non-negative integers, got "${s}"`);
    return n;
  });
}
