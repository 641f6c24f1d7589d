import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tokenizer, TokenizerError, type GGUFMetadata } from '../../src/tokenizer/index.js';
import { loadMetadata } from './load-vocab.js';
import { modelPath } from '../../../../testing/models.js';

const tokenizer = async (path: string, patch: GGUFMetadata = {}) =>
  Tokenizer.fromMetadata({ ...(await loadMetadata(path)), ...patch });

const SPM = 'vocab/ggml-vocab-llama-spm.gguf';
const PHI3 = 'vocab/ggml-vocab-phi-3.gguf';
const LLAMA3 = 'vocab/ggml-vocab-llama-bpe.gguf';
const QWEN2 = 'vocab/ggml-vocab-qwen2.gguf';
const GPT2 = 'vocab/ggml-vocab-gpt-2.gguf';
const MPT = 'vocab/ggml-vocab-mpt.gguf';
const BERT = 'vocab/ggml-vocab-bert-bge.gguf';

// Ids from llama.cpp's vectors (ggml-vocab-llama-spm.gguf.out): "Hello world" → ▁Hello ▁world.
const SPM_HELLO = 15043;
const SPM_WORLD = 3186;

interface Reference {
  prompt: string;
  prompt_ids_llamacpp: number[];
}

describe('prompts with BOS, as llama.cpp tokenized them (reference-greedy.json)', () => {
  const ref = JSON.parse(readFileSync(modelPath('reference-greedy.json'), 'utf8')) as Record<string, Reference>;
  for (const [file, r] of Object.entries(ref)) {
    it(file, async () => {
      expect((await tokenizer(file)).encode(r.prompt)).toEqual(r.prompt_ids_llamacpp);
    });
  }
});

describe('BOS/EOS rules', () => {
  it('SPM adds BOS by default and only with addSpecial', async () => {
    const tok = await tokenizer(SPM);
    expect(tok.addBos).toBe(true);
    expect(tok.addEos).toBe(false);
    expect(tok.encode('Hello world')).toEqual([1, SPM_HELLO, SPM_WORLD]);
    expect(tok.encode('Hello world', { addSpecial: false })).toEqual([SPM_HELLO, SPM_WORLD]);
    expect(tok.encode('')).toEqual([1]);
    expect(tok.encode('', { addSpecial: false })).toEqual([]);
  });

  it('SPM without add_bos_token still adds BOS (llama.cpp default for SPM)', async () => {
    const tok = await tokenizer('stories260K.gguf');
    expect(tok.addBos).toBe(true);
    expect(tok.encode('a')[0]).toBe(1);
  });

  it('follows add_bos_token / add_eos_token from the metadata', async () => {
    const noBos = await tokenizer(SPM, { 'tokenizer.ggml.add_bos_token': false, 'tokenizer.ggml.add_eos_token': true });
    expect(noBos.addBos).toBe(false);
    expect(noBos.addEos).toBe(true);
    expect(noBos.encode('Hello world')).toEqual([SPM_HELLO, SPM_WORLD, 2]);
    expect(noBos.encode('Hello world', { addSpecial: false })).toEqual([SPM_HELLO, SPM_WORLD]);
  });

  it('Llama 3 adds <|begin_of_text|>; Qwen2 (add_bos_token false) and GPT-2 (no key) add nothing', async () => {
    const llama3 = await tokenizer(LLAMA3);
    expect(llama3.bos).toBe(128000);
    expect(llama3.encode('Hello')).toEqual([128000, ...llama3.encode('Hello', { addSpecial: false })]);
    // Llama 3's pre-type turns BOS on when the key is absent.
    const withoutKey = await tokenizer(LLAMA3, { 'tokenizer.ggml.add_bos_token': undefined });
    expect(withoutKey.addBos).toBe(true);

    for (const path of [QWEN2, GPT2]) {
      const tok = await tokenizer(path);
      expect(tok.addBos).toBe(false);
      expect(tok.encode('Hello')).toEqual(tok.encode('Hello', { addSpecial: false }));
    }
  });

  it('WordPiece wraps the text in [CLS] … [SEP]', async () => {
    const tok = await tokenizer(BERT);
    const body = tok.encode('Hello world', { addSpecial: false });
    expect(body.length).toBeGreaterThan(0);
    expect(tok.encode('Hello world')).toEqual([101, ...body, 102]);
  });

  it('refuses add_bos_token without a BOS id', () => {
    const meta = {
      'tokenizer.ggml.model': 'gpt2',
      'tokenizer.ggml.pre': 'gpt-2',
      'tokenizer.ggml.tokens': ['a', 'b', 'ab'],
      'tokenizer.ggml.merges': ['a b'],
      'tokenizer.ggml.add_bos_token': true,
    };
    // The BPE default BOS id (11) is outside this 3-token vocabulary.
    expect(() => Tokenizer.fromMetadata(meta)).toThrow(TokenizerError);
    expect(() => Tokenizer.fromMetadata(meta)).toThrow(/bos_token_id/);
    expect(Tokenizer.fromMetadata({ ...meta, 'tokenizer.ggml.add_bos_token': false }).encode('ab')).toEqual([2]);
  });
});

describe('special tokens', () => {
  it('parses <s> only when asked, then prefixes a space to the following text', async () => {
    const tok = await tokenizer(SPM);
    expect(tok.encode('<s>Hello world', { addSpecial: false, parseSpecial: true })).toEqual([1, SPM_HELLO, SPM_WORLD]);
    const asText = tok.encode('<s>Hello world', { addSpecial: false });
    expect(asText).not.toContain(1);
    expect(tok.decode(asText)).toBe('<s>Hello world');
    expect(tok.encode('Hello</s><s>world', { addSpecial: false, parseSpecial: true })).toEqual([SPM_HELLO, 2, 1, SPM_WORLD]);
  });

  it('parses Llama 3 and Qwen2 chat markers', async () => {
    const llama3 = await tokenizer(LLAMA3);
    const hello = llama3.encode('Hello', { addSpecial: false });
    expect(llama3.encode('<|begin_of_text|>Hello<|eot_id|>', { addSpecial: false, parseSpecial: true })).toEqual([
      128000,
      ...hello,
      128009,
    ]);
    expect(llama3.encode('<|begin_of_text|>Hello', { addSpecial: false })).not.toContain(128000);

    const qwen = await tokenizer(QWEN2);
    const ids = qwen.encode('<|im_start|>user\nhi<|im_end|>', { parseSpecial: true });
    expect(ids[0]).toBe(151644);
    expect(ids[ids.length - 1]).toBe(151645);
    expect(ids.slice(1, -1)).toEqual(qwen.encode('user\nhi'));
  });

  it('phi-3 </s> is user-defined but also an EOG text, so control: split only with parseSpecial, with its right strip', async () => {
    const tok = await tokenizer(PHI3);
    const a = tok.encode('a', { addSpecial: false });
    const b = tok.encode('b', { addSpecial: false });
    // llama.cpp 80fb11a (node-llama-cpp 3.21.1) lists </s> among the EOG texts, which makes it control.
    expect(tok.encode('a</s> b', { addSpecial: false })).toEqual([263, 829, 29879, 29958, 289]);
    expect(tok.encode('a</s> b', { addSpecial: false, parseSpecial: true })).toEqual([...a, 2, ...b]);
    // <|end|> is a control token: text unless parseSpecial, and it strips the space after it too.
    expect(tok.encode('a<|end|> b', { addSpecial: false })).not.toContain(32007);
    expect(tok.encode('a<|end|> b', { addSpecial: false, parseSpecial: true })).toEqual([...a, 32007, ...b]);
  });

  it('splits MPT/NeoX whitespace-run tokens, which are user-defined', async () => {
    const tok = await tokenizer(MPT);
    const run = 50254; // 24 spaces
    expect(tok.vocab.tokens[run]).toBe(' '.repeat(24));
    expect(tok.encode(`a${' '.repeat(24)}b`, { addSpecial: false })).toContain(run);
  });
});

describe('end of generation', () => {
  it('knows EOS, EOT and the end tokens llama.cpp recognises by text', async () => {
    const spm = await tokenizer(SPM);
    expect([spm.eos, spm.eot]).toEqual([2, undefined]);
    expect(spm.isEog(2)).toBe(true);
    expect(spm.isEog(1)).toBe(false);

    const llama3 = await tokenizer(LLAMA3);
    expect([llama3.eos, llama3.eot]).toEqual([128001, 128009]);
    expect([128001, 128009].map((id) => llama3.isEog(id))).toEqual([true, true]);
    expect(llama3.isEog(128000)).toBe(false);

    const qwen = await tokenizer(QWEN2);
    expect(qwen.eot).toBe(151645);
    expect([151643, 151645].map((id) => qwen.isEog(id))).toEqual([true, true]);
    expect(qwen.isEog(151644)).toBe(false);

    const phi3 = await tokenizer(PHI3);
    expect([phi3.eos, phi3.eot]).toEqual([32000, 32007]);
  });
});

describe('inputs', () => {
  it('replaces lone surrogates by U+FFFD, as llama.cpp sees UTF-8 input', async () => {
    const tok = await tokenizer(LLAMA3);
    expect(tok.encode('a\ud800b', { addSpecial: false })).toEqual(tok.encode('a\ufffdb', { addSpecial: false }));
  });

  it('fails clearly when an SPM vocabulary has no byte token for a character', async () => {
    const tok = await tokenizer('TinyStories-656K-F32.gguf');
    expect(() => tok.encode('🦙')).toThrow(TokenizerError);
    expect(() => tok.encode('🦙')).toThrow(/byte 0xf0/);
  });
});
