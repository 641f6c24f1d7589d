import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tokenizer, TokenizerError } from '../../src/tokenizer/index.js';
import { loadMetadata } from './load-vocab.js';
import { modelPath } from '../../../../testing/models.js';

const tokenizer = async (path: string) => Tokenizer.fromMetadata(await loadMetadata(path));

const testStrings = readFileSync(modelPath('vocab/ggml-vocab-llama-spm.gguf.inp'), 'utf8')
  .split('\n__ggml_vocab_test__\n')
  .slice(0, -1);

// llama.cpp's detokenizer clean-up for these vocabularies rewrites " ," " ." " !" " ?" " ' " and " 's"-style
// contractions; strings containing those cannot round-trip there.
const CLEANED = / [,.!?]| ' | '(s|m|re|ve)/;

describe('decode(encode(s)) === s', () => {
  const cases: [string, boolean][] = [
    ['vocab/ggml-vocab-llama-spm.gguf', false],
    ['vocab/ggml-vocab-phi-3.gguf', false],
    ['TinyLLama-v0-Q4_0.gguf', false],
    ['stories260K.gguf', false],
    ['vocab/ggml-vocab-qwen2.gguf', false],
    ['vocab/ggml-vocab-gpt-2.gguf', true],
    ['vocab/ggml-vocab-mpt.gguf', true],
    ['vocab/ggml-vocab-llama-bpe.gguf', true],
  ];
  for (const [path, cleans] of cases) {
    it(path, async () => {
      const tok = await tokenizer(path);
      const strings = testStrings.filter((s) => !cleans || !CLEANED.test(s));
      expect(strings.length).toBeGreaterThan(30);
      for (const s of strings) {
        expect(tok.decode(tok.encode(s)), JSON.stringify(s)).toBe(s);
        expect(tok.decode(tok.encode(s, { addSpecial: false })), JSON.stringify(s)).toBe(s);
      }
    });
  }
});

describe('decode', () => {
  interface Reference {
    prompt: string;
    prompt_ids_llamacpp: number[];
    numpy_greedy_ids: number[];
    numpy_greedy_text: string;
  }
  const ref = JSON.parse(readFileSync(modelPath('reference-greedy.json'), 'utf8')) as Record<string, Reference>;

  it('renders generated ids as the reference text', async () => {
    for (const file of ['stories260K.gguf', 'TinyLLama-v0-Q4_0.gguf', 'TinyStories-656K-F32.gguf']) {
      const r = ref[file];
      const tok = await tokenizer(file);
      expect(tok.decode([...r.prompt_ids_llamacpp, ...r.numpy_greedy_ids]), file).toBe(r.prompt + r.numpy_greedy_text);
    }
  });

  it('drops the BOS it would add and strips the SPM space prefix once', async () => {
    const tok = await tokenizer('vocab/ggml-vocab-llama-spm.gguf');
    expect(tok.decode([1, 15043, 3186])).toBe('Hello world');
    expect(tok.decode([15043, 3186])).toBe('Hello world');
    expect(tok.decode([29871, 15043])).toBe(' Hello'); // "▁" then "▁Hello"
  });

  it('renders control tokens as text unless skipSpecial', async () => {
    const tok = await tokenizer('vocab/ggml-vocab-llama-spm.gguf');
    expect(tok.decode([15043, 2, 3186])).toBe('Hello</s> world');
    expect(tok.decode([15043, 2, 3186], { skipSpecial: true })).toBe('Hello world');
    expect(tok.decode([15043, 0], { skipSpecial: true })).toBe('Hello'); // <unk>
  });

  it("applies llama.cpp's space clean-up for GPT-2-style vocabularies", async () => {
    const gpt2 = await tokenizer('vocab/ggml-vocab-gpt-2.gguf');
    expect(gpt2.decode(gpt2.encode("Hello , world . It ' s ok ? Yes ! I 'm 're 've 'd 't 'll"))).toBe(
      "Hello, world. It's ok? Yes! I'm're've 'd 't 'll",
    );
    // Qwen2 turns the clean-up off.
    const qwen = await tokenizer('vocab/ggml-vocab-qwen2.gguf');
    expect(qwen.decode(qwen.encode('Hello , world .'))).toBe('Hello , world .');
  });

  it('decodes WordPiece tokens to lower-case words', async () => {
    const tok = await tokenizer('vocab/ggml-vocab-bert-bge.gguf');
    expect(tok.decode(tok.encode('Hello, World!'))).toBe('hello, world!');
  });

  it('turns bytes that are not UTF-8 into U+FFFD', async () => {
    const tok = await tokenizer('vocab/ggml-vocab-llama-spm.gguf');
    // <0xF0> alone (id 3 + 0xF0) starts a 4-byte sequence that never completes.
    expect(tok.decode([15043, 243])).toBe('Hello\ufffd');
  });
});

describe('tokenToPiece', () => {
  it('returns the raw bytes of one token', async () => {
    const spm = await tokenizer('vocab/ggml-vocab-llama-spm.gguf');
    expect(Array.from(spm.tokenToPiece(29871))).toEqual([0x20]); // "▁"
    expect(Array.from(spm.tokenToPiece(3 + 0xf0))).toEqual([0xf0]); // "<0xF0>"
    expect(new TextDecoder().decode(spm.tokenToPiece(15043))).toBe(' Hello');
    expect(new TextDecoder().decode(spm.tokenToPiece(1))).toBe('<s>');

    const gpt2 = await tokenizer('vocab/ggml-vocab-gpt-2.gguf');
    expect(Array.from(gpt2.tokenToPiece(220))).toEqual([0x20]); // "Ġ"
    expect(Array.from(gpt2.tokenToPiece(8582))).toEqual([0xf0, 0x9f]); // "ðŁ": first half of an emoji
  });

  it('returns a copy and rejects ids outside the vocabulary', async () => {
    const spm = await tokenizer('vocab/ggml-vocab-llama-spm.gguf');
    spm.tokenToPiece(29871)[0] = 0x41;
    expect(Array.from(spm.tokenToPiece(29871))).toEqual([0x20]);
    expect(() => spm.tokenToPiece(32000)).toThrow(TokenizerError);
    expect(() => spm.decode([-1])).toThrow(TokenizerError);
  });
});
