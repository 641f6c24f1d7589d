/**
 * `legato perplexity <model.gguf> -f text.txt [--ctx n]`: perplexity exactly as llama-perplexity
 * computes it: the text is tokenized once (with BOS), cut into chunks of n tokens, each chunk's
 * first token replaced by BOS, and only the second half of each chunk scored (positions n/2 … n−2
 * predicting the next token), so every scored token has at least n/2 tokens of context.
 */
import { readFileSync } from 'node:fs';
import type { LlamaModel } from '@legato/core';
import { info, InputError, intOption, parseCommandArgs, requirePositional, UsageError } from '../usage.js';
import { openModel } from '../open-model.js';

const USAGE = 'legato perplexity <model.gguf> -f text.txt [--ctx n] [--json]';

export interface PerplexityResult {
  ppl: number;
  chunks: number;
  ctx: number;
  /** Running perplexity after each chunk, as llama-perplexity prints it. */
  perChunk: number[];
}

export async function computePerplexity(model: LlamaModel, text: string, nCtx: number, onChunk?: (i: number, ppl: number) => void): Promise<PerplexityResult> {
  const tok = model.tokenizer;
  const tokens = tok.encode(text, { addSpecial: true });
  if (tokens.length < 2 * nCtx) {
    throw new InputError(`the text has ${tokens.length} tokens; perplexity with a context of ${nCtx} needs at least ${2 * nCtx}`);
  }
  const nChunks = Math.floor(tokens.length / nCtx);
  const first = Math.floor(nCtx / 2);
  const ctx = model.createContext({ contextSize: nCtx, batchSize: Math.min(nCtx, 512) });
  let nll = 0;
  let count = 0;
  const perChunk: number[] = [];
  try {
    for (let c = 0; c < nChunks; c++) {
      const chunk = tokens.slice(c * nCtx, (c + 1) * nCtx);
      if (tok.addBos && tok.bos !== undefined) chunk[0] = tok.bos;
      await ctx.evaluate(chunk, {
        onLogits: (pos, logits) => {
          if (pos < first || pos >= nCtx - 1) return;
          let max = -Infinity;
          for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
          let sum = 0;
          for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
          nll -= logits[chunk[pos + 1]] - max - Math.log(sum);
          count++;
        },
      });
      perChunk.push(Math.exp(nll / count));
      onChunk?.(c, perChunk[c]);
    }
  } finally {
    ctx.dispose();
  }
  return { ppl: Math.exp(nll / count), chunks: nChunks, ctx: nCtx, perChunk };
}

export async function perplexity(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs('perplexity', {
    args: argv,
    allowPositionals: true,
    options: { file: { type: 'string', short: 'f' }, ctx: { type: 'string', short: 'c' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return void process.stdout.write(`usage: ${USAGE}\n`);
  const path = requirePositional(positionals, 0, 'model path', USAGE);
  if (!values.file) throw new UsageError(`missing -f <text file>; usage: ${USAGE}`);
  let text: string;
  try {
    text = readFileSync(values.file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${values.file}: ${(e as Error).message}`);
  }
  const nCtx = intOption('--ctx', values.ctx, 4) ?? 512;
  const model = await openModel(path, { quiet: values.json });
  try {
    const r = await computePerplexity(model, text, nCtx, values.json ? undefined : (i, p) => info(`[${i + 1}] ${p.toFixed(4)}`));
    if (values.json) process.stdout.write(`${JSON.stringify({ ppl: r.ppl, chunks: r.chunks, ctx: r.ctx })}\n`);
    else process.stdout.write(`Final estimate: PPL = ${r.ppl.toFixed(4)} over ${r.chunks} chunks of ${r.ctx}\n`);
  } finally {
    model.dispose();
  }
}
