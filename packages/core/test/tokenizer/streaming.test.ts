import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { loadMetadata } from './load-vocab.js';
import { modelPath } from '../../../../testing/models.js';

const tokenizer = async (path: string) => Tokenizer.fromMetadata(await loadMetadata(path));

/** The chunk emitted after each pushed id. */
function chunks(tok: Tokenizer, ids: number[]): string[] {
  const d = tok.createStreamingDecoder();
  return ids.map((id) => d.push(id));
}

describe('StreamingDetokenizer', () => {
  it('holds back an emoji spread over byte-fallback tokens until it is complete', async () => {
    const tok = await tokenizer('stories260K.gguf');
    // llama.cpp ids for " 🦙" (tokenizer-tests/stories260K.gguf.out): "▁" then <0xF0> <0x9F> <0xA6> <0x99>.
    const ids = [410, 243, 162, 169, 156];
    expect(tok.encode('🦙', { addSpecial: false })).toEqual(ids);
    expect(chunks(tok, ids)).toEqual([' ', '', '', '', '🦙']);
  });

  it('holds back a CJK character spread over byte tokens', async () => {
    const tok = await tokenizer('stories260K.gguf');
    const ids = tok.encode('我想', { addSpecial: false });
    expect(ids.length).toBeGreaterThan(3);
    const out = chunks(tok, ids);
    expect(out.join('')).toBe(' 我想');
    expect(out.filter((c) => c !== '')).toEqual([' ', '我', '想']);
  });

  it('holds back an emoji split across byte-level BPE tokens', async () => {
    const tok = await tokenizer('vocab/ggml-vocab-gpt-2.gguf');
    const ids = tok.encode('🦙!', { addSpecial: false });
    expect(ids).toEqual([8582, 99, 247, 0]); // from ggml-vocab-gpt-2.gguf.out, then "!"
    expect(chunks(tok, ids)).toEqual(['', '', '🦙', '!']);
  });

  it('never emits U+FFFD for well-formed text, and joins to the full decode', async () => {
    const text = readFileSync(modelPath('vocab/ggml-vocab-llama-spm.gguf.inp'), 'utf8');
    for (const path of ['vocab/ggml-vocab-llama-spm.gguf', 'vocab/ggml-vocab-llama-bpe.gguf', 'vocab/ggml-vocab-qwen2.gguf']) {
      const tok = await tokenizer(path);
      const ids = tok.encode(text, { addSpecial: false });
      const d = tok.createStreamingDecoder({ stripLeadingSpace: true });
      const out = ids.map((id) => d.push(id));
      out.push(d.flush());
      expect(out.some((c) => c.includes('\ufffd')), path).toBe(false);
      expect(out.join(''), path).toBe(text);
    }
  });

  it('flush() reports an incomplete character as U+FFFD and starts over', async () => {
    const tok = await tokenizer('stories260K.gguf');
    const d = tok.createStreamingDecoder();
    expect(d.push(243)).toBe('');
    expect(d.flush()).toBe('\ufffd');
    expect(d.push(410)).toBe(' ');
  });

  it('skips control tokens unless told otherwise', async () => {
    const tok = await tokenizer('stories260K.gguf');
    expect(tok.createStreamingDecoder().push(2)).toBe('');
    expect(tok.createStreamingDecoder({ skipSpecial: false }).push(2)).toBe('</s>');
  });

  it('streams generated ids to the reference text', async () => {
    const ref = JSON.parse(readFileSync(modelPath('reference-greedy.json'), 'utf8')) as Record<
      string,
      { numpy_greedy_ids: number[]; numpy_greedy_text: string }
    >;
    for (const file of ['stories260K.gguf', 'TinyLLama-v0-Q5_K_M.gguf', 'TinyStories-656K-F32.gguf']) {
      const tok = await tokenizer(file);
      const d = tok.createStreamingDecoder();
      const text = ref[file].numpy_greedy_ids.map((id) => d.push(id)).join('') + d.flush();
      expect(text, file).toBe(ref[file].numpy_greedy_text);
    }
  });
});
