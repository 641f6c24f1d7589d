/**
 * `legato lab <experiment>`: experiments that reproduce a latency problem and show what fixes it.
 * `lab stutter` is the GC-stutter experiment (see @legato/bench's runStutterLab): the same chat
 * workload under each KV-cache GC policy and with allocation-heavy decoding, repeated and
 * interleaved, paced to a chatbot's token time; a row per run, the spread over repeats, the
 * conclusions computed from the data, and a report (JSON, Markdown, SVG plots, HTML).
 */
import {
  BENCH_SHAPES,
  benchShape,
  DEFAULT_STUTTER_RUNS,
  defaultReportDir,
  formatStutterText,
  loadBenchModel,
  ProgressBar,
  QUICK_STUTTER,
  runStutterLab,
  StutterConfigError,
  stutterJson,
  writeStutterReport,
  type StutterLabOptions,
  type StutterRunConfig,
} from '@legato/bench';
import type { GcPolicy } from '@legato/kvcache';
import type { LlamaModel } from '@legato/core';
import { SHAPES, SYNTH_TYPES, type SynthType } from '@legato/core/synth';
import { parseBlockSize, parseBytes } from '../kv-options.js';
import { checkModelPath } from '../open-model.js';
import { backendFlag } from '../sampling-flags.js';
import { info, intOption, parseCommandArgs, UsageError } from '../usage.js';

const USAGE = 'legato lab stutter [--model m.gguf] [--tokens n] [--interval 50] [--users 3] [--turns 2] [--conversations 1] ' +
  '[--pause-ms 100 | --kv-memory 384MiB] [--block-size 16] [--max-batch-tokens 8] [--policies off,eager,periodic,incremental] ' +
  '[--no-alloc-heavy] [--repeats 3] [--step-ms 40] [--quick] [--seed 1] [--backend auto|wasm|reference] [--threads 1] [--shape stories42m] [--type Q4_0] [--out dir] [--json]';

const POLICIES: readonly GcPolicy[] = ['off', 'eager', 'periodic', 'incremental'];

export async function lab(argv: string[]): Promise<void> {
  const [experiment, ...rest] = argv;
  if (experiment === undefined) throw new UsageError('missing experiment; usage: legato lab stutter [options] (see legato lab --help)');
  if (experiment === '--help' || experiment === '-h') {
    return void process.stdout.write(`usage: legato lab <experiment> [options]\n\nexperiments:\n  stutter     KV-cache GC policies and V8 GC vs inter-token latency\n\n${USAGE}\n`);
  }
  if (experiment !== 'stutter') throw new UsageError(`unknown experiment "${experiment}" (experiments: stutter)`);
  await stutter(rest);
}

async function stutter(argv: string[]): Promise<void> {
  const { values } = parseCommandArgs('lab', {
    args: argv,
    options: {
      model: { type: 'string', short: 'm' },
      tokens: { type: 'string', short: 'n' },
      interval: { type: 'string' },
      users: { type: 'string' },
      turns: { type: 'string' },
      conversations: { type: 'string' },
      'pause-ms': { type: 'string' },
      'kv-memory': { type: 'string' },
      'block-size': { type: 'string' },
      'max-batch-tokens': { type: 'string' },
      policies: { type: 'string' },
      repeats: { type: 'string', short: 'r' },
      'step-ms': { type: 'string' },
      'no-alloc-heavy': { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      seed: { type: 'string' },
      backend: { type: 'string' },
      threads: { type: 'string', short: 't' },
      shape: { type: 'string' },
      type: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(`usage: ${USAGE}\n`);
  const base: StutterLabOptions = values.quick ? QUICK_STUTTER : {};
  const opts: StutterLabOptions = {
    ...base,
    tokens: intOption('--tokens', values.tokens, 1) ?? base.tokens,
    interval: intOption('--interval', values.interval, 1),
    users: intOption('--users', values.users, 1) ?? base.users,
    turns: intOption('--turns', values.turns, 1) ?? base.turns,
    conversationsPerUser: intOption('--conversations', values.conversations, 1),
    pauseMs: intOption('--pause-ms', values['pause-ms'], 1),
    kvMemoryBytes: values['kv-memory'] === undefined ? undefined : parseBytes('kv-memory', values['kv-memory']),
    blockSize: parseBlockSize(values['block-size']),
    maxBatchTokens: intOption('--max-batch-tokens', values['max-batch-tokens'], 1),
    seed: intOption('--seed', values.seed),
    repeats: intOption('--repeats', values.repeats, 1) ?? base.repeats,
    stepMs: intOption('--step-ms', values['step-ms'], 0) ?? base.stepMs,
    runs: runList(values.policies, !values['no-alloc-heavy'], base.runs),
  };
  if (opts.kvMemoryBytes !== undefined && opts.pauseMs !== undefined) throw new UsageError('give --pause-ms or --kv-memory, not both');
  // One thread by default: a paced lab needs little compute, and one thread is never held up
  // waiting for a descheduled worker when other processes load the machine.
  const model = await openModelFor({ ...values, threads: values.threads ?? '1' }, 'stories42m', 'lab');
  try {
    const bar = new ProgressBar(1);
    const result = await runStutterLab(model, {
      ...opts,
      onProgress: (p) => {
        bar.total = p.total;
        bar.update(p.done, p.run);
      },
    }).catch((e: unknown) => {
      bar.done();
      throw e instanceof StutterConfigError ? new UsageError(e.message) : e;
    });
    bar.done();
    const dir = values.out ?? defaultReportDir('lab-stutter');
    const files = await writeStutterReport(dir, result);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(stutterJson(result, files.html))}\n`);
      return;
    }
    process.stdout.write(`${formatStutterText(result)}\n\nreport: ${files.html}\n`);
  } finally {
    model.dispose();
  }
}

/** `--policies a,b` (normal runs) plus the allocation-heavy run unless turned off. */
function runList(spec: string | undefined, allocHeavy: boolean, preset: readonly StutterRunConfig[] | undefined): readonly StutterRunConfig[] {
  let runs = [...(preset ?? DEFAULT_STUTTER_RUNS)];
  if (spec !== undefined) {
    const names = spec.split(',').map((s) => s.trim()).filter(Boolean);
    for (const n of names) if (!POLICIES.includes(n as GcPolicy)) throw new UsageError(`--policies takes ${POLICIES.join(', ')}; got "${n}"`);
    runs = [...names.map((policy) => ({ policy: policy as GcPolicy, mode: 'normal' as const })), ...runs.filter((r) => r.mode === 'alloc-heavy')];
  }
  if (!allocHeavy) runs = runs.filter((r) => r.mode !== 'alloc-heavy');
  if (runs.length === 0) throw new UsageError('nothing to run: give at least one policy');
  return runs;
}

/**
 * The model of a lab or bench command: `--model`, or the cached synthetic model of `--shape` and
 * `--type`, on `--backend` with `--threads`; flag mistakes are usage errors.
 */
export async function openModelFor(
  v: { model?: string; backend?: string; threads?: string; shape?: string; type?: string },
  defaultShape: string,
  command: string,
): Promise<LlamaModel> {
  const backend = backendFlag(v.backend);
  const threads = intOption('--threads', v.threads, 1);
  if (v.model !== undefined) {
    if (v.shape !== undefined || v.type !== undefined) throw new UsageError('--shape and --type pick a synthetic model; not with --model');
    checkModelPath(v.model);
    return loadBenchModel({ path: v.model, backend, threads });
  }
  const shape = v.shape ?? defaultShape;
  if (!benchShape(shape)) throw new UsageError(`unknown --shape "${shape}" (known: ${[...Object.keys(SHAPES), ...Object.keys(BENCH_SHAPES)].join(', ')})`);
  const type = v.type ?? 'Q4_0';
  if (!(SYNTH_TYPES as readonly string[]).includes(type)) throw new UsageError(`--type must be one of ${SYNTH_TYPES.join(', ')}, got "${type}"`);
  return loadBenchModel({
    shape,
    type: type as SynthType,
    backend,
    threads,
    onSynthesize: (p) => info(`legato ${command}: synthesizing a ${shape} ${type} model (once) → ${p}`),
  });
}
