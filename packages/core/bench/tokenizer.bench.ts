/**
 * Tokenizer speed figures (printed, not asserted): vocabulary build time for the 128k-token Llama 3
 * BPE vocab, and encode throughput on a long text and on one 100k-letter word (which a quadratic
 * merge loop would never finish). Run: node --conditions=source --import tsx packages/core/bench/tokenizer.bench.ts
 */
import { readFileSync } from 'node:fs';
import { Tokenizer } from '../src/index.js';
import { readGGUFHeader } from '../src/gguf/index.js';
import { modelPath } from '../../../testing/models.js';

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

const text = readFileSync(modelPath('vocab/ggml-vocab-llama-spm.gguf.inp'), 'utf8').repeat(100);
for (const path of ['vocab/ggml-vocab-llama-bpe.gguf', 'vocab/ggml-vocab-llama-spm.gguf', 'vocab/ggml-vocab-qwen2.gguf']) {
  const meta = readGGUFHeader(modelPath(path)).metadata;
  const [tok, buildMs] = time(() => Tokenizer.fromMetadata(meta));
  tok.encode(text.slice(0, 10_000));
  const [ids, textMs] = time(() => tok.encode(text, { addSpecial: false }));
  const [, wordMs] = time(() => tok.encode('a'.repeat(100_000), { addSpecial: false }));
  const mb = Buffer.byteLength(text) / 1e6;
  console.log(`${path.padEnd(34)} build ${buildMs.toFixed(0).padStart(5)} ms  encode ${(mb / (textMs / 1000)).toFixed(2)} MB/s (${ids.length} tokens)  100k-letter word ${wordMs.toFixed(0)} ms`);
}
