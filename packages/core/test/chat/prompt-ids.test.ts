/**
 * chatPromptIds: llama-server's rule for a rendered chat prompt — special tokens parsed as special,
 * and one BOS whether or not the template wrote it (common/chat.cpp strips a leading BOS text when
 * the vocabulary adds BOS; the server then tokenizes with add_special and parse_special).
 */
import { describe, expect, it } from 'vitest';
import { applyChatTemplate, chatPromptIds } from '../../src/chat/index.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { loadMetadata } from '../tokenizer/load-vocab.js';

const count = (ids: number[], id: number) => ids.filter((x) => x === id).length;
const user = [{ role: 'user', content: 'Hi' }];

describe('chatPromptIds', () => {
  it('Llama 3: the template writes <|begin_of_text|>, the vocabulary adds BOS — one BOS, headers as special ids', async () => {
    const meta = await loadMetadata('vocab/ggml-vocab-llama-bpe.gguf');
    const tok = Tokenizer.fromMetadata(meta);
    expect(tok.addBos).toBe(true);
    const rendered = applyChatTemplate(meta, user);
    expect(rendered.startsWith('<|begin_of_text|>')).toBe(true);
    const ids = chatPromptIds(tok, rendered);
    expect(ids[0]).toBe(128000);
    expect(count(ids, 128000)).toBe(1);
    expect(ids.slice(0, 3)).toEqual([128000, 128006, ...tok.encode('user', { addSpecial: false })]); // <|start_header_id|>user
    expect(count(ids, 128009)).toBe(1); // <|eot_id|>
    // Without the rule the naive call doubles BOS.
    expect(count(tok.encode(rendered, { addSpecial: true, parseSpecial: true }), 128000)).toBe(2);
  });

  it('Llama 3 vocabulary with a template that writes no BOS (built-in llama3): the tokenizer adds it', async () => {
    const tok = Tokenizer.fromMetadata(await loadMetadata('vocab/ggml-vocab-llama-bpe.gguf'));
    const ids = chatPromptIds(tok, applyChatTemplate('llama3', user));
    expect(ids[0]).toBe(128000);
    expect(ids[1]).toBe(128006);
    expect(count(ids, 128000)).toBe(1);
  });

  it('Qwen2 (add_bos_token false, chatml): no BOS, <|im_start|>/<|im_end|> as special ids', async () => {
    const meta = await loadMetadata('vocab/ggml-vocab-qwen2.gguf');
    const tok = Tokenizer.fromMetadata(meta);
    const ids = chatPromptIds(tok, applyChatTemplate(meta, user));
    expect(ids[0]).toBe(151644);
    expect(count(ids, 151643)).toBe(0);
    expect(count(ids, 151645)).toBe(1);
    expect(ids.at(-3)).toBe(151644);
  });

  it('a vocabulary that does not add BOS keeps a BOS the template wrote, parsed as special', async () => {
    const meta = await loadMetadata('vocab/ggml-vocab-qwen2.gguf');
    const tok = Tokenizer.fromMetadata(meta);
    const ids = chatPromptIds(tok, '<|endoftext|><|im_start|>user\nHi<|im_end|>\n');
    expect(ids.slice(0, 2)).toEqual([151643, 151644]);
  });

  it('SentencePiece (Phi-3 vocabulary, add_bos true): BOS added once; <|user|> … <|end|> as special ids', async () => {
    const tok = Tokenizer.fromMetadata(await loadMetadata('vocab/ggml-vocab-phi-3.gguf'));
    const ids = chatPromptIds(tok, applyChatTemplate('phi3', user));
    expect(ids[0]).toBe(1);
    expect(ids[1]).toBe(32010); // <|user|>
    expect(count(ids, 1)).toBe(1);
    expect(ids).toContain(32007); // <|end|>
    expect(chatPromptIds(tok, `<s>${applyChatTemplate('phi3', user)}`)).toEqual(ids);
  });
});
