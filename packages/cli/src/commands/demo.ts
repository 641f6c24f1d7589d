/**
 * `legato demo`: the README's main job. Synthesizes (once, cached under .cache/) a model in
 * llama2.c's stories15M shape, streams a completion from it and prints a timing table.
 * Random weights: the text is gibberish; the timings are real.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel, SHAPES, synthesizeModel, type SynthType } from '@legato/core';
import { info, intOption } from '../usage.js';

const USAGE = 'legato demo [-n tokens] [--shape tiny-15m] [--type Q4_0] [--cache-dir .cache/legato]';

export async function demo(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'n-predict': { type: 'string', short: 'n' },
      shape: { type: 'string', default: 'tiny-15m' },
      type: { type: 'string', default: 'Q4_0' },
      'cache-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(`usage: ${USAGE}\n`);
  const shape = SHAPES[values.shape!];
  if (!shape) throw new Error(`unknown shape ${values.shape} (known: ${Object.keys(SHAPES).join(', ')})`);
  const n = intOption('n-predict', values['n-predict'], 1) ?? 96;
  const dir = resolve(values['cache-dir'] ?? process.env.LEGATO_CACHE ?? join(process.cwd(), '.cache', 'legato'));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `synth-${shape.name}-${values.type}.gguf`);
  if (!existsSync(file)) {
    info(`synthesizing ${shape.name} (${values.type}) → ${file}`);
    await synthesizeModel(file, { shape, type: values.type as SynthType, seed: 1 });
  }
  const model = await loadModel(file);
  try {
    const ctx = model.createContext({ contextSize: 512 });
    const prompt = 'Once upon a time, there was a little robot who';
    info(`model ${shape.name}: ${shape.nLayers} layers, dim ${shape.dim}, vocab ${shape.vocabSize}, ${values.type}; backend ${model.backend.name}`);
    process.stdout.write(`\n${prompt}`);
    const gen = ctx.generate(prompt, { maxTokens: n, temperature: 0.8, seed: 7, ignoreEos: true });
    for await (const t of gen) process.stdout.write(t.text);
    const { timings: tm, ids, promptIds } = await gen.result();
    process.stdout.write('\n\n');
    const itl = Array.from(tm.itlMs).sort((a, b) => a - b);
    const pct = (p: number): number => itl[Math.min(itl.length - 1, Math.floor(p * itl.length))] ?? NaN;
    const rows: [string, string][] = [
      ['prompt tokens', String(promptIds.length)],
      ['generated tokens', String(ids.length)],
      ['TTFT', `${tm.ttftMs.toFixed(2)} ms`],
      ['prefill', `${tm.prefillTokensPerSecond.toFixed(1)} tok/s`],
      ['decode', `${tm.decodeTokensPerSecond.toFixed(1)} tok/s`],
      ['ITL p50 / p95 / p99', `${pct(0.5).toFixed(2)} / ${pct(0.95).toFixed(2)} / ${pct(0.99).toFixed(2)} ms`],
      ['ITL max', `${(itl[itl.length - 1] ?? NaN).toFixed(2)} ms`],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    process.stdout.write(`| ${'metric'.padEnd(w)} | value |\n|${'-'.repeat(w + 2)}|-------|\n`);
    for (const [k, v] of rows) process.stdout.write(`| ${k.padEnd(w)} | ${v} |\n`);
  } finally {
    model.dispose();
  }
}
