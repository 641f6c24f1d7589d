/**
 * LlamaModel.applyChatTemplate on loaded models: stories260K has no chat template (llama.cpp's
 * chatml fallback, with <s> as BOS); a copy of it carrying Gemma 2's template renders with it, refuses
 * a system message, and folds it on request.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatTemplateError, chatPromptIds } from '../../src/chat/index.js';
import { LlamaModel } from '../../src/engine/model.js';
import { gv, readGGUFHeader, writeGGUF } from '../../src/gguf/index.js';
import { modelPath } from '../../../../testing/models.js';

const convo = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Hi' },
];

let dir: string;
let plain: LlamaModel;
let gemma: LlamaModel;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'legato-chat-model-'));
  const src = modelPath('stories260K.gguf');
  const header = readGGUFHeader(src);
  const bytes = readFileSync(src);
  const typed = new Map(header.typedMetadata);
  typed.set('tokenizer.chat_template', gv.str(readFileSync(modelPath('templates/google-gemma-2-2b-it.jinja'), 'utf8')));
  const withTemplate = join(dir, 'stories-gemma-template.gguf');
  await writeGGUF(withTemplate, {
    metadata: typed,
    tensors: header.tensors.map((t) => ({
      name: t.name,
      type: t.type,
      shape: t.shape,
      data: bytes.subarray(header.dataOffset + t.offset, header.dataOffset + t.offset + t.byteSize),
    })),
  });
  plain = await LlamaModel.load(src, { backend: 'reference' });
  gemma = await LlamaModel.load(withTemplate, { backend: 'reference' });
});
afterAll(() => {
  plain?.dispose();
  gemma?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('LlamaModel.applyChatTemplate', () => {
  it('a file without a template gets chatml', () => {
    expect(plain.applyChatTemplate(convo)).toBe('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
    expect(plain.applyChatTemplate(convo, { addGenerationPrompt: false })).toBe('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n');
  });

  it("a file's template is used, with the file's BOS text", () => {
    expect(gemma.applyChatTemplate(convo.slice(1))).toBe('<s><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n');
  });

  it('a refusal is a ChatTemplateError; foldSystemIntoFirstUser renders', () => {
    expect(() => gemma.applyChatTemplate(convo)).toThrowError(ChatTemplateError);
    expect(gemma.applyChatTemplate(convo, { foldSystemIntoFirstUser: true })).toBe(
      '<s><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n',
    );
  });

  it('chatPromptIds(model, text) keeps one BOS although the template wrote <s>', () => {
    const ids = chatPromptIds(gemma, gemma.applyChatTemplate(convo.slice(1)));
    expect(ids[0]).toBe(1);
    expect(ids.filter((x) => x === 1)).toHaveLength(1);
    expect(ids).toEqual(gemma.tokenize('<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n', { addSpecial: true, parseSpecial: true }));
  });
});
