/**
 * `legato demo`: the README's main job. Synthesizes (once, cached under .cache/legato) a model in
 * llama2.c's stories42M shape, streams a short sample from it, then runs the quick version of
 * the GC-stutter experiment (`legato lab stutter --quick`) and prints its table, its conclusion
 * and the path of its HTML report. Random weights: the text is gibberish; the timings are real.
 */
import {
  defaultReportDir,
  formatConclusion,
  formatStutterSetup,
  formatStutterTable,
  loadBenchModel,
  ProgressBar,
  QUICK_STUTTER,
  runStutterLab,
  writeStutterReport,
} from '@legato/bench';
import { SYNTH_TYPES, type SynthType } from '@legato/core/synth';
import { info, intOption, parseCommandArgs, UsageError } from '../usage.js';

const USAGE = 'legato demo [-n tokens] [--shape stories42m] [--type Q4_0] [--cache-dir .cache/legato] [--out dir]';

export async function demo(argv: string[]): Promise<void> {
  const { values } = parseCommandArgs('demo', {
    args: argv,
    options: {
      'n-predict': { type: 'string', short: 'n' },
      shape: { type: 'string', default: 'stories42m' },
      type: { type: 'string', default: 'Q4_0' },
      'cache-dir': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(`usage: ${USAGE}\n`);
  const n = intOption('-n', values['n-predict'], 1) ?? 48;
  if (!(SYNTH_TYPES as readonly string[]).includes(values.type!)) throw new UsageError(`--type must be one of ${SYNTH_TYPES.join(', ')}, got "${values.type}"`);
  let model;
  try {
    model = await loadBenchModel({
      shape: values.shape,
      type: values.type as SynthType,
      dir: values['cache-dir'],
      onSynthesize: (p) => info(`synthesizing ${values.shape} (${values.type}) → ${p}`),
    });
  } catch (e) {
    if (e instanceof RangeError && /unknown shape/.test(e.message)) throw new UsageError(e.message);
    throw e;
  }
  try {
    const c = model.config;
    info(`model ${values.shape}: ${c.nLayers} layers, dim ${c.dim}, vocab ${c.vocabSize}, ${values.type}; backend ${model.backend.name}`);
    const ctx = model.createContext({ contextSize: 256 });
    const prompt = 'Once upon a time, there was a little robot who';
    process.stdout.write(`\n${prompt}`);
    const gen = ctx.generate(prompt, { maxTokens: n, temperature: 0.8, seed: 7, ignoreEos: true });
    for await (const t of gen) process.stdout.write(t.text);
    const { timings: tm } = await gen.result();
    ctx.dispose();
    process.stdout.write(`\n\nTTFT ${tm.ttftMs.toFixed(1)} ms, decode ${tm.decodeTokensPerSecond.toFixed(1)} tok/s\n\n`);

    process.stdout.write('The GC-stutter experiment, quick version (legato lab stutter --quick):\n\n');
    const bar = new ProgressBar(1);
    const result = await runStutterLab(model, {
      ...QUICK_STUTTER,
      onProgress: (p) => {
        bar.total = p.total;
        bar.update(p.done, p.run);
      },
    });
    bar.done();
    const files = await writeStutterReport(values.out ?? defaultReportDir('demo'), result);
    process.stdout.write(`${formatStutterSetup(result)}\n\n${formatStutterTable(result)}\n\n${formatConclusion(result.conclusion)}\n\nreport: ${files.html}\n`);
  } finally {
    model.dispose();
  }
}
