/**
 * Stream a completion and print per-token timing: the smallest useful Legato program.
 *   node --conditions=source --import tsx examples/stream.ts [model.gguf] [prompt]
 * Without a model argument it synthesizes a small random-weight one (gibberish text, real timings).
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '@legato/core';
import { SHAPES, synthesizeModel } from '@legato/core/synth';

let path = process.argv[2];
if (!path) {
  path = join(tmpdir(), 'legato-example-demo-4m.gguf');
  if (!existsSync(path)) await synthesizeModel(path, { shape: SHAPES['demo-4m'], type: 'Q8_0', seed: 1 });
}
const prompt = process.argv[3] ?? 'Once upon a time';

const model = await loadModel(path);
const ctx = model.createContext({ contextSize: 256 });
const gen = ctx.generate(prompt, { maxTokens: 48, temperature: 0.7, seed: 42 });
process.stdout.write(prompt);
for await (const token of gen) process.stdout.write(token.text);
const { timings, finishReason } = await gen.result();
console.log(`\n\nfinished (${finishReason}): TTFT ${timings.ttftMs.toFixed(1)} ms, ` +
  `decode ${timings.decodeTokensPerSecond.toFixed(1)} tok/s, worst gap ${Math.max(0, ...timings.itlMs).toFixed(1)} ms`);
model.dispose();
