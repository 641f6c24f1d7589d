/**
 * llama.cpp's test-tokenizer-0 vectors: every `.inp`/`.out` pair whose GGUF is present must give
 * exactly llama.cpp's ids (add_special = false, parse_special = false).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { loadMetadata } from './load-vocab.js';
import { modelsDir } from '../../../../testing/models.js';

const SEPARATOR = '\n__ggml_vocab_test__\n';

/** Vector files without a GGUF of their own name, and the GGUF they belong to. */
const GGUF_FOR: Record<string, string> = {
  'tokenizer-tests/TinyLLama-v0.gguf': 'TinyLLama-v0-Q4_0.gguf',
  'tokenizer-tests/stories260K.gguf': 'stories260K.gguf',
};

interface Case {
  vectors: string;
  gguf: string;
}

function discover(): Case[] {
  const cases: Case[] = [];
  for (const dir of ['vocab', 'tokenizer-tests']) {
    for (const f of readdirSync(join(modelsDir(), dir)).sort()) {
      if (!f.endsWith('.gguf.inp')) continue;
      const vectors = `${dir}/${f.slice(0, -'.inp'.length)}`;
      const gguf = GGUF_FOR[vectors] ?? vectors;
      if (existsSync(join(modelsDir(), gguf))) cases.push({ vectors, gguf });
    }
  }
  return cases;
}

function readVectors(vectors: string): { texts: string[]; ids: number[][] } {
  const texts = readFileSync(join(modelsDir(), `${vectors}.inp`), 'utf8').split(SEPARATOR);
  const lines = readFileSync(join(modelsDir(), `${vectors}.out`), 'utf8').split('\n');
  // Both files end with a terminator, leaving one empty element.
  texts.pop();
  lines.pop();
  const ids = lines.map((l) => l.trim().split(' ').filter(Boolean).map(Number));
  expect(ids.length).toBe(texts.length);
  return { texts, ids };
}

const cases = discover();

describe('llama.cpp tokenizer vectors', () => {
  it('covers every vocabulary present', () => {
    expect(cases.map((c) => c.vectors)).toEqual(
      expect.arrayContaining([
        'vocab/ggml-vocab-llama-spm.gguf',
        'vocab/ggml-vocab-phi-3.gguf',
        'vocab/ggml-vocab-gpt-2.gguf',
        'vocab/ggml-vocab-mpt.gguf',
        'vocab/ggml-vocab-bert-bge.gguf',
        'vocab/ggml-vocab-llama-bpe.gguf',
        'vocab/ggml-vocab-qwen2.gguf',
        'tokenizer-tests/TinyLLama-v0.gguf',
        'tokenizer-tests/stories260K.gguf',
      ]),
    );
  });

  for (const { vectors, gguf } of cases) {
    it(vectors, async () => {
      const tok = Tokenizer.fromMetadata(await loadMetadata(gguf));
      const { texts, ids } = readVectors(vectors);
      texts.forEach((text, i) => {
        expect(tok.encode(text, { addSpecial: false, parseSpecial: false }), JSON.stringify(text)).toEqual(ids[i]);
      });
    });
  }

  // DeepSeek-R1-Distill-Qwen uses Qwen2's BPE vocabulary under another pre-tokenizer name; its
  // vectors are llama.cpp's output for that name.
  it('vocab/ggml-vocab-deepseek-r1-qwen.gguf (Qwen2 vocabulary, pre = deepseek-r1-qwen)', async () => {
    const meta = { ...(await loadMetadata('vocab/ggml-vocab-qwen2.gguf')), 'tokenizer.ggml.pre': 'deepseek-r1-qwen' };
    const tok = Tokenizer.fromMetadata(meta);
    const { texts, ids } = readVectors('vocab/ggml-vocab-deepseek-r1-qwen.gguf');
    texts.forEach((text, i) => {
      expect(tok.encode(text, { addSpecial: false }), JSON.stringify(text)).toEqual(ids[i]);
    });
  });
});
