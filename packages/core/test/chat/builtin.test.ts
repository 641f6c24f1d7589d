/**
 * llama.cpp's built-in chat formats and its template detection, checked against llama.cpp's own
 * test table (tests/test-chat-template.cpp, extracted by fixtures/extract-llamacpp-cases.py): the
 * template text of each case goes through `detectChatTemplate`, and the detected format renders the
 * table's conversation byte for byte as `llama_chat_apply_template` does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_TEMPLATES,
  ChatTemplateError,
  applyBuiltinTemplate,
  applyChatTemplate,
  chatTemplateFromMetadata,
  detectChatTemplate,
  type BuiltinTemplateName,
  type ChatMessage,
} from '../../src/chat/index.js';
import { loadMetadata } from '../tokenizer/load-vocab.js';

const table: {
  conversation: ChatMessage[];
  cases: { name: string; template: string; expected: string | null; has_extra_conversation: boolean }[];
} = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'llamacpp-chat-cases.json'), 'utf8'));
const conv = table.conversation;
const isOurs = (f: string | undefined): f is BuiltinTemplateName => (BUILTIN_TEMPLATES as readonly string[]).includes(f ?? '');

describe("llama.cpp's test table", () => {
  const covered = new Set<string>();
  for (const c of table.cases) {
    if (c.expected === null || c.has_extra_conversation) continue;
    const family = detectChatTemplate(c.template);
    if (!isOurs(family)) continue;
    covered.add(family);
    it(`${c.name} → ${family}`, () => expect(applyBuiltinTemplate(family, conv, true)).toBe(c.expected));
  }
  it('covers every built-in format but llama2-sys and mistral-v7-tekken (hand-checked below)', () => {
    const missing = BUILTIN_TEMPLATES.filter((t) => !covered.has(t));
    expect(missing.sort()).toEqual(['llama2-sys', 'mistral-v7-tekken']);
  });
  it('families that only look alike are told apart (Phi-4 is not chatml, GLM-Edge is not phi3)', () => {
    const by = (n: string) => table.cases.find((c) => c.name.startsWith(n))!.template;
    expect(detectChatTemplate(by('phi-4'))).toBe('phi4');
    expect(detectChatTemplate(by('GLMEdge'))).toBe('glmedge');
    expect(detectChatTemplate(by('ChatGLM4'))).toBe('chatglm4');
    expect(detectChatTemplate('INVALID TEMPLATE')).toBeUndefined();
  });
});

describe('formats the table does not reach, checked by hand against llama-chat.cpp', () => {
  it('llama2-sys: <<SYS>> block inside the first [INST], no BOS between turns', () => {
    expect(applyBuiltinTemplate('llama2-sys', conv.slice(0, 4), true)).toBe(
      '[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST] Who are you [/INST]',
    );
  });
  it('mistral-v7-tekken: no spaces around the content', () => {
    expect(applyBuiltinTemplate('mistral-v7-tekken', conv.slice(0, 4), true)).toBe(
      '[SYSTEM_PROMPT]You are a helpful assistant[/SYSTEM_PROMPT][INST]Hello[/INST]Hi there</s>[INST]Who are you[/INST]',
    );
  });
  it('add_generation_prompt false leaves the assistant header off', () => {
    expect(applyBuiltinTemplate('chatml', conv.slice(1, 2), false)).toBe('<|im_start|>user\nHello<|im_end|>\n');
    expect(applyBuiltinTemplate('llama3', conv.slice(1, 2), false)).toBe('<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>');
    expect(applyBuiltinTemplate('gemma', conv.slice(1, 2), false)).toBe('<start_of_turn>user\nHello<end_of_turn>\n');
    expect(applyBuiltinTemplate('phi3', conv.slice(1, 2), false)).toBe('<|user|>\nHello<|end|>\n');
  });
});

describe('chatTemplateFromMetadata: the file template, else llama.cpp fallback', () => {
  it('a GGUF with a template (Llama 3 vocab) uses it, with its BOS/EOS texts', async () => {
    const meta = await loadMetadata('vocab/ggml-vocab-llama-bpe.gguf');
    const t = chatTemplateFromMetadata(meta);
    expect(t.kind).toBe('jinja');
    expect(t.bosToken).toBe('<|begin_of_text|>');
    expect(t.eosToken).toBe('<|end_of_text|>');
    const out = applyChatTemplate(meta, [{ role: 'user', content: 'Hi' }]);
    expect(out).toBe('<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
  });
  it('a GGUF without one (Qwen2 vocab) gets chatml, as llama.cpp gives every such file', async () => {
    const meta = await loadMetadata('vocab/ggml-vocab-qwen2.gguf');
    const t = chatTemplateFromMetadata(meta);
    expect(t).toMatchObject({ kind: 'builtin', name: 'chatml' });
    expect(applyChatTemplate(meta, conv.slice(0, 2))).toBe(
      '<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n',
    );
  });
  it('Mistral-Small-2503 (tekken, 40 layers, no template) gets mistral-v7-tekken', () => {
    const meta = { 'general.architecture': 'llama', 'llama.block_count': 40, 'tokenizer.ggml.pre': 'tekken' };
    expect(chatTemplateFromMetadata(meta)).toMatchObject({ kind: 'builtin', name: 'mistral-v7-tekken' });
    expect(chatTemplateFromMetadata({ ...meta, 'llama.block_count': 30 })).toMatchObject({ name: 'chatml' });
  });
  it('a template named by its family, or one that does not parse, falls back to what llama.cpp detects', () => {
    expect(chatTemplateFromMetadata({ 'tokenizer.chat_template': 'gemma' })).toMatchObject({ kind: 'builtin', name: 'gemma' });
    const broken = '{% for m in messages %}<start_of_turn>{{ m.content {% endfor %}';
    expect(chatTemplateFromMetadata({ 'tokenizer.chat_template': broken })).toMatchObject({ kind: 'builtin', name: 'gemma' });
    expect(() => chatTemplateFromMetadata({ 'tokenizer.chat_template': '{% if %}' })).toThrowError(ChatTemplateError);
  });
  it('tokenizer.chat_template.tool_use is used when tools are given, the default otherwise', () => {
    const meta = { 'tokenizer.chat_template': 'default:{{ messages | length }}', 'tokenizer.chat_template.tool_use': 'tools:{{ tools | length }}' };
    expect(applyChatTemplate(meta, conv)).toBe('default:6');
    expect(applyChatTemplate(meta, conv, { tools: [{ type: 'function', function: { name: 'f' } }] })).toBe('tools:1');
    // A file with only the tool_use template renders everything with it, as llama.cpp does.
    expect(applyChatTemplate({ 'tokenizer.chat_template.tool_use': 'only:{{ tools is defined }}' }, conv)).toBe('only:False');
  });
  it('multi-part content: built-in formats join the text parts with newlines and drop the others (llama.cpp legacy path)', () => {
    const parts = [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'image_url', image_url: 'x' }, { type: 'text', text: 'b' }] }];
    expect(applyBuiltinTemplate('chatml', parts, false)).toBe('<|im_start|>user\na\nb<|im_end|>\n');
  });
  it('a built-in format cannot render tools: a typed error, as llama-server refuses tools without --jinja', () => {
    try {
      applyChatTemplate('chatml', conv, { tools: [{ type: 'function', function: { name: 'f' } }] });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ChatTemplateError);
      expect((e as ChatTemplateError).kind).toBe('unsupported');
    }
  });
});
