/** `legato synth [--arch <arch>] --shape <name|json> --type <type> -o out.gguf [--seed s] [--threads n] [--vocab-dir d]`. */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SUPPORTED_ARCHITECTURES } from '@legato/core';
import { ARCH_SHAPES, archShapesOf, parseShape, synthesizeModel, SYNTH_TYPES, type ArchShape, type ModelShape, type SynthType } from '@legato/core/synth';
import { clip, info, InputError, intOption, parseCommandArgs, UsageError } from '../usage.js';

const USAGE = `legato synth [--arch <${SUPPORTED_ARCHITECTURES.join('|')}>] --shape <tiny-15m|tinyllama-1.1b|demo-4m|${Object.keys(ARCH_SHAPES).join('|')}|json> --type <${SYNTH_TYPES.join('|')}> -o out.gguf [--seed s] [--threads n] [--vocab-dir <shared models vocab/>] [--chat-template file.jinja]`;

/** --shape as an architecture preset (qwen2.5-0.5b, tiny-gemma2, …), checked against --arch when given. */
function archShape(arch: string | undefined, name: string): ArchShape | undefined {
  if (arch !== undefined && !(SUPPORTED_ARCHITECTURES as readonly string[]).includes(arch)) {
    throw new UsageError(`--arch must be one of ${SUPPORTED_ARCHITECTURES.join(', ')}, got "${clip(arch)}"`);
  }
  const s = ARCH_SHAPES[name];
  if (arch === undefined) return s;
  if (!s || s.arch !== arch) throw new UsageError(`--shape for --arch ${arch} must be one of ${archShapesOf(arch).join(', ')}, got "${clip(name)}"`);
  return s;
}

function readTemplate(path: string): string {
  if (!existsSync(path)) throw new InputError(`chat template not found: ${clip(path)}`);
  return readFileSync(path, 'utf8');
}

export async function synth(argv: string[]): Promise<void> {
  const { values } = parseCommandArgs('synth', {
    args: argv,
    options: {
      arch: { type: 'string' }, shape: { type: 'string' }, type: { type: 'string', default: 'Q4_0' }, output: { type: 'string', short: 'o' },
      seed: { type: 'string' }, threads: { type: 'string' }, 'vocab-dir': { type: 'string' }, 'chat-template': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(`usage: ${USAGE}\n`);
  if (!values.shape) throw new UsageError(`missing --shape; usage: ${USAGE}`);
  if (!values.output) throw new UsageError(`missing -o <out.gguf>; usage: ${USAGE}`);
  const type = values.type!.toUpperCase();
  if (!(SYNTH_TYPES as readonly string[]).includes(type)) throw new UsageError(`--type must be one of ${SYNTH_TYPES.join(', ')}, got "${clip(values.type!)}"`);
  let shape: ModelShape | ArchShape | undefined = archShape(values.arch, values.shape);
  if (!shape) {
    try {
      shape = parseShape(values.shape);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const t0 = performance.now();
  await synthesizeModel(values.output, {
    shape,
    type: type as SynthType,
    seed: intOption('--seed', values.seed),
    threads: intOption('--threads', values.threads, 1),
    // Real vocabularies (Llama 3, Qwen2, Phi-3) come from the shared models' vocab GGUFs.
    vocabDir: values['vocab-dir'] ?? resolve(process.env.LEGATO_TEST_MODELS ?? '../shared/models', 'vocab'),
    chatTemplate: values['chat-template'] === undefined ? undefined : readTemplate(values['chat-template']),
    onProgress: process.stderr.isTTY ? (d, n) => process.stderr.write(`\rsynthesizing ${d}/${n} tensors`) : undefined,
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  info(`wrote ${values.output} (${shape.name}, ${type}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
