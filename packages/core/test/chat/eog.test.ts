/**
 * End-of-generation tokens: `Tokenizer.isEog` over every id equals llama.cpp's `llama_vocab_is_eog`
 * (node-llama-cpp 3.21.1, vocab-only loads) on every vocab GGUF in the shared models, and on small
 * synthetic vocabularies that reach llama.cpp's two exceptions (harmony's <|end|>, Gemma 4's </s>).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, type Llama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GGUFValueType } from '../../src/gguf/value-types.js';
import { gv, readGGUFHeader, writeGGUF } from '../../src/gguf/index.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { modelPath } from '../../../../testing/models.js';

let llama: Llama;
beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
});

async function compare(path: string): Promise<{ ours: number[]; theirs: number[]; tok: Tokenizer }> {
  const tok = Tokenizer.fromMetadata(readGGUFHeader(path).metadata);
  const model = await llama.loadModel({ modelPath: path, vocabOnly: true });
  // llama_vocab_is_eog itself: node-llama-cpp's public isEogToken also counts EOS and EOT, which
  // differs exactly where llama.cpp removes harmony's <|end|>.
  const native = (model as unknown as { _model: { isEogToken(id: number): boolean } })._model;
  try {
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let id = 0; id < tok.vocabSize; id++) {
      if (tok.isEog(id)) ours.push(id);
      if (native.isEogToken(id)) theirs.push(id);
    }
    return { ours, theirs, tok };
  } finally {
    await model.dispose();
  }
}

describe('the EOG set equals llama.cpp on the shared vocabularies', () => {
  const expected: Record<string, string[]> = {
    'ggml-vocab-llama-spm': ['</s>'],
    'ggml-vocab-phi-3': ['</s>', '<|endoftext|>', '<|end|>'],
    'ggml-vocab-llama-bpe': ['<|end_of_text|>', '<|eot_id|>'],
    // '</s>' is an ordinary BPE token in Qwen2, but llama.cpp's text list (PaddleOCR) makes it EOG.
    'ggml-vocab-qwen2': ['</s>', '<|endoftext|>', '<|im_end|>'],
    'ggml-vocab-gpt-2': ['<|endoftext|>'],
    'ggml-vocab-gpt-neox': ['<|endoftext|>'],
    'ggml-vocab-mpt': ['<|endoftext|>'],
    'ggml-vocab-baichuan': ['</s>'],
    // '[PAD]' is taken for a FIM pad token (Kimi-K2's spelling), and FIM pad/repo/sep end generation.
    'ggml-vocab-bert-bge': ['[PAD]'],
  };
  for (const [name, texts] of Object.entries(expected)) {
    it(name, async () => {
      const { ours, theirs, tok } = await compare(modelPath(`vocab/${name}.gguf`));
      expect(ours).toEqual(theirs);
      expect(ours.map((id) => tok.vocab.tokens[id])).toEqual(texts);
    });
  }
});

describe("llama.cpp's exceptions, on synthetic vocabularies", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'legato-eog-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // The real Llama 2 SentencePiece vocabulary with a few ordinary tokens renamed to the texts under
  // test (a vocabulary llama.cpp is sure to load).
  async function vocab(name: string, extra: string[]): Promise<string> {
    const typed = new Map(readGGUFHeader(modelPath('vocab/ggml-vocab-llama-spm.gguf')).typedMetadata);
    const tokens = (typed.get('tokenizer.ggml.tokens')!.value as string[]).slice();
    const types = Array.from(typed.get('tokenizer.ggml.token_type')!.value as ArrayLike<number>);
    extra.forEach((t, i) => {
      tokens[31000 + i] = t;
      types[31000 + i] = 3;
    });
    typed.set('tokenizer.ggml.tokens', gv.arr(GGUFValueType.STRING, tokens));
    typed.set('tokenizer.ggml.token_type', gv.arr(GGUFValueType.INT32, types));
    typed.set('general.name', gv.str(name));
    const path = join(dir, `${name}.gguf`);
    await writeGGUF(path, { metadata: typed, tensors: [] });
    return path;
  }

  it('harmony: with <|return|> and <|call|>, <|end|> is not EOG', async () => {
    const { ours, theirs, tok } = await compare(await vocab('harmony', ['<|end|>', '<|return|>', '<|call|>', '<|start|>', '<|channel|>']));
    expect(ours).toEqual(theirs);
    expect(ours.map((id) => tok.vocab.tokens[id])).toEqual(['</s>', '<|return|>', '<|call|>']);
  });
  it('without them <|end|> is EOG', async () => {
    const { ours, theirs, tok } = await compare(await vocab('phi', ['<|end|>', '<|return|>']));
    expect(ours).toEqual(theirs);
    expect(ours.map((id) => tok.vocab.tokens[id])).toContain('<|end|>');
  });
  it('Gemma 4: with <|tool_response>, </s> is not EOG, even where it is EOS', async () => {
    const { ours, theirs, tok } = await compare(await vocab('gemma4', ['<|tool_response>', '<turn|>', '<eos>', '[EOT]', '<end_of_utterance>']));
    expect(ours).toEqual(theirs);
    expect(ours.map((id) => tok.vocab.tokens[id])).toEqual(['<|tool_response>', '<turn|>', '<eos>', '[EOT]', '<end_of_utterance>']);
  });
});
