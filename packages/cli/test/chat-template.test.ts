/**
 * `legato chat-template`: prints exactly what transformers renders (the shared expected renderings),
 * from the file's template, a --template file or a built-in format; refusals and bad input are one
 * line on stderr with exit code 1, a wrong call exit code 2.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelPath } from '../../../testing/models.js';
import { legato } from './run-cli.js';

const templates = modelPath('templates');
const conversations: { id: string }[] = JSON.parse(readFileSync(join(templates, 'conversations.json'), 'utf8'));
const expected = JSON.parse(readFileSync(join(templates, 'expected.json'), 'utf8'));
const qwenVocab = modelPath('vocab/ggml-vocab-qwen2.gguf');
const llama3Vocab = modelPath('vocab/ggml-vocab-llama-bpe.gguf');

let dir: string;
const file = (id: string) => join(dir, `${id}.json`);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'legato-chat-cli-'));
  for (const c of conversations) writeFileSync(file(c.id), JSON.stringify(c));
  writeFileSync(join(dir, 'bare.json'), JSON.stringify([{ role: 'user', content: 'Hi' }]));
  writeFileSync(join(dir, 'broken.json'), '[{"role": "user", ');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('legato chat-template', () => {
  it('--template renders the tools conversation byte for byte as transformers (Qwen2.5)', () => {
    const r = legato(['chat-template', qwenVocab, '--messages', file('tools'), '--template', join(templates, 'Qwen-Qwen2.5-7B-Instruct.jinja')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(expected['Qwen-Qwen2.5-7B-Instruct'].renders.tools.text);
  });

  it("uses the file's own template (the original Llama 3 one, which always opens the assistant turn)", () => {
    const r = legato(['chat-template', llama3Vocab, '--messages', join(dir, 'bare.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
  });

  it('--no-generation-prompt, and the file value add_generation_prompt: false, leave the assistant turn closed', () => {
    const r = legato(['chat-template', qwenVocab, '--messages', join(dir, 'bare.json'), '--no-generation-prompt']);
    expect(r.stdout).toBe('<|im_start|>user\nHi<|im_end|>\n');
    const q = legato(['chat-template', qwenVocab, '--messages', file('no-generation-prompt'), '--template', join(templates, 'Qwen-Qwen3-0.6B.jinja')]);
    expect(q.stdout).toBe(expected['Qwen-Qwen3-0.6B'].renders['no-generation-prompt'].text);
  });

  it('a file without a template gets chatml; --ids prints the prompt ids with special tokens parsed', () => {
    const text = legato(['chat-template', qwenVocab, '--messages', join(dir, 'bare.json')]);
    expect(text.stdout).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
    const ids = legato(['chat-template', qwenVocab, '--messages', join(dir, 'bare.json'), '--ids']);
    expect(ids.code, ids.stderr).toBe(0);
    const list = ids.stdout.trim().split(' ').map(Number);
    expect(list[0]).toBe(151644);
    expect(list.filter((x) => x === 151645)).toHaveLength(1);
  });

  it('a refusal (Gemma 2 and a system message) is one line, exit 1; --fold-system renders', () => {
    const gemma = join(templates, 'google-gemma-2-2b-it.jinja');
    const r = legato(['chat-template', qwenVocab, '--messages', file('system-user'), '--template', gemma]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      'legato chat-template: chat template refused the conversation: System role not supported (--fold-system merges a system message into the first user turn)',
    ]);
    const ok = legato(['chat-template', qwenVocab, '--messages', file('system-user'), '--template', gemma, '--fold-system']);
    expect(ok.code, ok.stderr).toBe(0);
    // The Qwen2 vocabulary's BOS text is <|endoftext|>: the model's BOS/EOS stay when --template changes.
    expect(ok.stdout).toBe('<|endoftext|><start_of_turn>user\nYou are a terse assistant.\n\nName three primes.<end_of_turn>\n<start_of_turn>model\n');
  });

  it('bad input is exit 1, a wrong call exit 2, each one line', () => {
    const broken = legato(['chat-template', qwenVocab, '--messages', join(dir, 'broken.json')]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^legato chat-template: messages file .* is not valid JSON/);
    const name = legato(['chat-template', qwenVocab, '--messages', join(dir, 'bare.json'), '--template', 'llama9']);
    expect(name.code).toBe(1);
    expect(name.stderr).toMatch(/not a built-in format \(chatml, llama2/);
    const missing = legato(['chat-template', qwenVocab]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toMatch(/^legato chat-template: --messages is required/);
  });
});
