/** `legato synth --shape <name|json> --type <type> -o out.gguf [--seed s] [--threads n]`. */
import { parseShape, synthesizeModel, SYNTH_TYPES, type SynthType } from '@legato/core/synth';
import { clip, info, intOption, parseCommandArgs, UsageError } from '../usage.js';

const USAGE = `legato synth --shape <tiny-15m|tinyllama-1.1b|demo-4m|json> --type <${SYNTH_TYPES.join('|')}> -o out.gguf [--seed s] [--threads n]`;

export async function synth(argv: string[]): Promise<void> {
  const { values } = parseCommandArgs('synth', {
    args: argv,
    options: { shape: { type: 'string' }, type: { type: 'string', default: 'Q4_0' }, output: { type: 'string', short: 'o' }, seed: { type: 'string' }, threads: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return void process.stdout.write(`usage: ${USAGE}\n`);
  if (!values.shape) throw new UsageError(`missing --shape; usage: ${USAGE}`);
  if (!values.output) throw new UsageError(`missing -o <out.gguf>; usage: ${USAGE}`);
  const type = values.type!.toUpperCase();
  if (!(SYNTH_TYPES as readonly string[]).includes(type)) throw new UsageError(`--type must be one of ${SYNTH_TYPES.join(', ')}, got "${clip(values.type!)}"`);
  let shape;
  try {
    shape = parseShape(values.shape);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const t0 = performance.now();
  await synthesizeModel(values.output, {
    shape,
    type: type as SynthType,
    seed: intOption('--seed', values.seed),
    threads: intOption('--threads', values.threads, 1),
    onProgress: process.stderr.isTTY ? (d, n) => process.stderr.write(`\rsynthesizing ${d}/${n} tensors`) : undefined,
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  info(`wrote ${values.output} (${shape.name}, ${type}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
