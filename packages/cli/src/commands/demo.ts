/**
 * `legato demo`: the README's main job. First a greedy sample from a trained model embedded in
 * the CLI (stories260K, 1.2 MB), so the first thing printed is text; then the quick version of
 * the GC-stutter experiment (`legato lab stutter --quick`) on the lab model — synthesized once
 * (cached under .cache/legato) in llama2.c's stories42M shape: random weights, real timing —
 * with its table, the spread over repeats, its conclusions and the path of its HTML report.
 */
import {
  defaultReportDir,
  formatStutterText,
  loadBenchModel,
  ProgressBar,
  QUICK_STUTTER,
  runStutterLab,
  writeStutterReport,
} from '@legato/bench';
import { loadModel, type LlamaModel } from '@legato/core';
import { SYNTH_TYPES, type SynthType } from '@legato/core/synth';
import { DEMO_MODEL_PATH } from '../assets.js';
import { checkModelPath } from '../open-model.js';
import { info, intOption, parseCommandArgs, UsageError } from '../usage.js';

const USAGE =
  'legato demo [-n tokens] [--shape stories42m] [--type Q4_0] [--lab-model m.gguf] [--repeats 3] [--step-ms 40] [--cache-dir .cache/legato] [--out dir]';

const PROMPT = 'Once upon a time';

export async function demo(argv: string[]): Promise<void> {
  const { values } = parseCommandArgs('demo', {
    args: argv,
    options: {
      'n-predict': { type: 'string', short: 'n' },
      shape: { type: 'string' },
      type: { type: 'string' },
      'lab-model': { type: 'string' },
      repeats: { type: 'string', short: 'r' },
      'step-ms': { type: 'string' },
      'cache-dir': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(`usage: ${USAGE}\n`);
  const n = intOption('-n', values['n-predict'], 1) ?? 60;
  const repeats = intOption('--repeats', values.repeats, 1) ?? QUICK_STUTTER.repeats;
  const stepMs = intOption('--step-ms', values['step-ms'], 0) ?? QUICK_STUTTER.stepMs;
  const shape = values.shape ?? 'stories42m';
  const type = values.type ?? 'Q4_0';
  if (!(SYNTH_TYPES as readonly string[]).includes(type)) throw new UsageError(`--type must be one of ${SYNTH_TYPES.join(', ')}, got "${type}"`);
  const labModelPath = values['lab-model'];
  if (labModelPath !== undefined) {
    if (values.shape !== undefined || values.type !== undefined) throw new UsageError('--shape and --type pick the synthesized lab model; not with --lab-model');
    checkModelPath(labModelPath);
  }

  await trainedSample(n);

  let model: LlamaModel;
  try {
    model = await loadBenchModel({
      path: labModelPath,
      shape,
      type: type as SynthType,
      dir: values['cache-dir'],
      // One thread, as `lab stutter` runs by default: a paced lab needs little compute, and one
      // thread is never held up waiting for a descheduled worker on a busy machine.
      threads: 1,
      onSynthesize: (p) => info(`synthesizing the lab model, ${shape} (${type}), once → ${p}`),
    });
  } catch (e) {
    if (e instanceof RangeError && /unknown shape/.test(e.message)) throw new UsageError(e.message);
    throw e;
  }
  try {
    const c = model.config;
    const what = labModelPath ?? `the ${shape} shape, ${type}`;
    process.stdout.write(
      `The lab model: ${what} (${c.nLayers} layers, dim ${c.dim}, vocab ${c.vocabSize}) on ${model.backend.name} — ` +
        'random weights, real timing: its text would be noise; its timing is what the experiment measures.\n\n' +
        'The GC-stutter experiment, quick version (legato lab stutter --quick):\n\n',
    );
    const bar = new ProgressBar(1);
    const result = await runStutterLab(model, {
      ...QUICK_STUTTER,
      repeats,
      stepMs,
      onProgress: (p) => {
        bar.total = p.total;
        bar.update(p.done, p.run);
      },
    });
    bar.done();
    const files = await writeStutterReport(values.out ?? defaultReportDir('demo'), result);
    process.stdout.write(`${formatStutterText(result)}\n\nreport: ${files.html}\n`);
  } finally {
    model.dispose();
  }
}

/** Streams a greedy continuation of {@link PROMPT} from the embedded trained model. */
async function trainedSample(n: number): Promise<void> {
  const model = await loadModel(DEMO_MODEL_PATH, { threads: 1 });
  try {
    process.stdout.write(
      'A sample from a trained model: stories260K (Karpathy\'s tinyllamas, 260K parameters trained on TinyStories, ' +
        'MIT; embedded in the CLI), greedy:\n\n',
    );
    const ctx = model.createContext({ contextSize: 256 });
    try {
      process.stdout.write(PROMPT);
      // One paragraph: the story's first paragraph ends at a newline.
      const gen = ctx.generate(PROMPT, { maxTokens: n, temperature: 0, stop: ['\n'] });
      for await (const t of gen) process.stdout.write(t.text);
      const { timings: tm } = await gen.result();
      process.stdout.write(`\n\n(TTFT ${tm.ttftMs.toFixed(1)} ms, decode ${tm.decodeTokensPerSecond.toFixed(1)} tok/s)\n\n`);
    } finally {
      ctx.dispose();
    }
  } finally {
    model.dispose();
  }
}
