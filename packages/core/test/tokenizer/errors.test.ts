import { describe, expect, it } from 'vitest';
import { Tokenizer, TokenizerError, type GGUFMetadata } from '../../src/tokenizer/index.js';
import { loadMetadata } from './load-vocab.js';

const bpe: GGUFMetadata = {
  'tokenizer.ggml.model': 'gpt2',
  'tokenizer.ggml.pre': 'gpt-2',
  'tokenizer.ggml.tokens': ['a', 'b', 'ab', 'Ġ'],
  'tokenizer.ggml.merges': ['a b'],
  'tokenizer.ggml.bos_token_id': 0,
  'tokenizer.ggml.eos_token_id': 1,
};

function expectError(meta: GGUFMetadata, message: RegExp): void {
  let error: unknown;
  try {
    Tokenizer.fromMetadata(meta);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(TokenizerError);
  expect((error as Error).message).toMatch(message);
}

describe('Tokenizer.fromMetadata errors name the key', () => {
  it('missing or malformed keys', () => {
    expectError({ ...bpe, 'tokenizer.ggml.model': undefined }, /'tokenizer\.ggml\.model' is missing/);
    expectError({ ...bpe, 'tokenizer.ggml.model': 3 }, /'tokenizer\.ggml\.model' must be a string/);
    expectError({ ...bpe, 'tokenizer.ggml.tokens': undefined }, /'tokenizer\.ggml\.tokens' is missing/);
    expectError({ ...bpe, 'tokenizer.ggml.tokens': ['a', 7] }, /'tokenizer\.ggml\.tokens' must be an array of strings/);
    expectError({ ...bpe, 'tokenizer.ggml.tokens': [] }, /'tokenizer\.ggml\.tokens' is empty/);
    expectError({ ...bpe, 'tokenizer.ggml.merges': undefined }, /'tokenizer\.ggml\.merges' is missing/);
    expectError({ ...bpe, 'tokenizer.ggml.scores': [0, 0] }, /'tokenizer\.ggml\.scores' has 2 elements/);
    expectError({ ...bpe, 'tokenizer.ggml.token_type': 'x' }, /'tokenizer\.ggml\.token_type' must be a numeric array/);
    expectError({ ...bpe, 'tokenizer.ggml.bos_token_id': 1.5 }, /'tokenizer\.ggml\.bos_token_id' must be an integer/);
    expectError({ ...bpe, 'tokenizer.ggml.add_bos_token': 'yes' }, /'tokenizer\.ggml\.add_bos_token' must be a boolean/);
  });

  it('unsupported tokenizer models and pre-tokenizers', () => {
    expectError({ ...bpe, 'tokenizer.ggml.model': 't5' }, /unsupported tokenizer model 'tokenizer\.ggml\.model' = 't5'/);
    expectError({ ...bpe, 'tokenizer.ggml.model': 'rwkv' }, /rwkv/);
    expectError({ ...bpe, 'tokenizer.ggml.model': 'no_vocab' }, /no vocabulary/);
    expectError({ ...bpe, 'tokenizer.ggml.pre': 'made-up' }, /'tokenizer\.ggml\.pre' = 'made-up'/);
  });
});

describe('Tokenizer.fromMetadata accepts', () => {
  it('bigint ids and typed arrays', () => {
    const tok = Tokenizer.fromMetadata({
      ...bpe,
      'tokenizer.ggml.bos_token_id': 2n,
      'tokenizer.ggml.token_type': Int32Array.of(1, 1, 1, 1),
    });
    expect(tok.bos).toBe(2);
    expect(tok.encode('ab b', { addSpecial: false })).toEqual([2, 3, 1]);
  });

  it('ignores special ids outside the vocabulary, as llama.cpp does', () => {
    const tok = Tokenizer.fromMetadata({ ...bpe, 'tokenizer.ggml.eos_token_id': 0xffffffff });
    // The BPE default EOS (11) is outside this vocabulary too, so there is none.
    expect(tok.eos).toBeUndefined();
  });

  it('the WordPiece (bert) vocabulary', async () => {
    const tok = Tokenizer.fromMetadata(await loadMetadata('vocab/ggml-vocab-bert-bge.gguf'));
    expect(tok.kind).toBe('wpm');
    expect(tok.vocabSize).toBe(30522);
  });

  it('reports the kind and size of each vocabulary', async () => {
    const spm = Tokenizer.fromMetadata(await loadMetadata('vocab/ggml-vocab-llama-spm.gguf'));
    expect([spm.kind, spm.vocabSize, spm.bos, spm.eos]).toEqual(['spm', 32000, 1, 2]);
    const gpt2 = Tokenizer.fromMetadata(await loadMetadata('vocab/ggml-vocab-gpt-2.gguf'));
    expect([gpt2.kind, gpt2.vocabSize, gpt2.bos, gpt2.eos]).toEqual(['bpe', 50257, 50256, 50256]);
  });
});
