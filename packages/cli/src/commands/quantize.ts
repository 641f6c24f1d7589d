/**
 * `legato quantize <in.gguf> <out.gguf> <TYPE>`: llama-quantize's job in TypeScript — the same
 * per-tensor types and bytes — on a worker pool, with a progress bar when stderr is a terminal.
 */
import { resolve } from 'node:path';
import { QuantizeError, quantizeFile, type QuantizeProgress } from '@legato/core/quantize';
import { allFormats, parseQuantTarget, QUANT_TARGETS, QUANT_TARGET_ALIASES, typeName, type GGMLType } from '@legato/quant';
import { checkModelPath } from '../open-model.js';
import { clip, InputError, info, intOption, parseCommandArgs, requirePositional, UsageError } from '../usage.js';

const TYPES = [...QUANT_TARGETS, ...Object.keys(QUANT_TARGET_ALIASES)].join('|');
const USAGE =
  `legato quantize <in.gguf> <out.gguf> <${TYPES}> [--threads n] ` +
  '[--token-embedding-type T] [--output-tensor-type T] [--pure]';

/** A ggml type name Legato can write, for the per-tensor overrides. */
function tensorType(option: string, v: string | undefined): GGMLType | undefined {
  if (v === undefined) return undefined;
  const writable = allFormats().filter((f) => f.quantizeRow);
  const f = writable.find((w) => w.name === v.toUpperCase());
  if (!f) throw new UsageError(`--${option} must be one of ${writable.map((w) => w.name).join(', ')}, got "${clip(v)}"`);
  return f.type;
}

/** A one-line bar redrawn in place, at most every 100 ms (and always at a tensor's end). */
function progressBar(): (p: QuantizeProgress) => void {
  let last = 0;
  let lastTensor = -1;
  return (p) => {
    const now = performance.now();
    const tensorDone = p.doneElements === p.totalElements || p.tensorIndex !== lastTensor;
    if (!tensorDone && now - last < 100) return;
    last = now;
    lastTensor = p.tensorIndex;
    const frac = p.totalElements === 0 ? 1 : p.doneElements / p.totalElements;
    const width = 30;
    const filled = Math.round(frac * width);
    const name = p.tensor.length > 32 ? `…${p.tensor.slice(-31)}` : p.tensor;
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ` +
        `${p.tensorIndex + 1}/${p.tensorCount} ${name.padEnd(32)}`,
    );
  };
}

export async function quantize(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('quantize', {
    args: argv,
    allowPositionals: true,
    options: {
      threads: { type: 'string', short: 't' },
      'token-embedding-type': { type: 'string' },
      'output-tensor-type': { type: 'string' },
      pure: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(`usage: ${USAGE}\n`);
  const input = requirePositional(positionals, 0, 'input model path', USAGE);
  const output = requirePositional(positionals, 1, 'output path', USAGE);
  const typeArg = requirePositional(positionals, 2, 'quantization type', USAGE);
  if (positionals.length > 3) throw new UsageError(`unexpected argument "${clip(positionals[3]!)}"; usage: ${USAGE}`);
  const target = parseQuantTarget(typeArg);
  if (!target) throw new UsageError(`unknown quantization type "${clip(typeArg)}" (supported: ${TYPES.replaceAll('|', ', ')})`);
  checkModelPath(input);
  if (resolve(input) === resolve(output)) throw new UsageError('the output must be a different file from the input');
  const threads = intOption('--threads', values.threads, 1);
  const tokenEmbeddingType = tensorType('token-embedding-type', values['token-embedding-type']);
  const outputTensorType = tensorType('output-tensor-type', values['output-tensor-type']);

  const tty = process.stderr.isTTY;
  let result;
  try {
    result = await quantizeFile(input, output, {
      target,
      threads,
      tokenEmbeddingType,
      outputTensorType,
      pure: values.pure,
      onProgress: tty ? progressBar() : undefined,
    });
  } catch (e) {
    if (e instanceof QuantizeError) throw new InputError(e.message);
    throw e;
  } finally {
    if (tty) process.stderr.write('\n');
  }
  const counts = new Map<string, number>();
  for (const t of result.tensors) counts.set(typeName(t.to), (counts.get(typeName(t.to)) ?? 0) + 1);
  const mix = [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
  const mb = (b: number): string => (b / 1e6).toFixed(1);
  info(
    `wrote ${output}: ${result.target}, ${result.tensors.length} tensors (${mix}), ${mb(result.inputBytes)} MB -> ` +
      `${mb(result.outputBytes)} MB in ${result.seconds.toFixed(2)} s ` +
      `(${(result.elements / result.seconds / 1e6).toFixed(1)} M params/s, ${result.threads} thread${result.threads === 1 ? '' : 's'})`,
  );
}
