/**
 * `legato chat` on a synthesized Qwen2.5-architecture file with the real Qwen2 vocabulary and the
 * real Qwen2.5 chat template: the conversation is rendered as transformers renders it, its special
 * tokens are single tokens, the history is reused from the prefix cache, and a reply ends at
 * <|im_end|> without printing it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatPromptIds, loadModel, type LlamaModel } from '@legato/core';
import { legato } from './run-cli.js';
import { modelPath, REPO_ROOT } from '../../../testing/models.js';

const dir = mkdtempSync(join(tmpdir(), 'legato-chat-qwen-'));
const file = join(dir, 'tiny-qwen2.5-chat.gguf');
const template = modelPath('templates/Qwen-Qwen2.5-7B-Instruct.jinja');
let model: LlamaModel;

beforeAll(async () => {
  const r = legato(['synth', '--shape', 'tiny-qwen2.5-chat', '--type', 'Q8_0', '-o', file, '--chat-template', template, '--vocab-dir', modelPath('vocab')]);
  expect(r.code, r.stderr).toBe(0);
  model = await loadModel(file, { threads: 1 });
}, 120_000);
afterAll(() => {
  model?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('chat on a Qwen2.5-shaped file with the real vocabulary', () => {
  it('renders with the file template exactly as transformers does, and tokenizes its special tokens as single tokens', () => {
    const expected = JSON.parse(readFileSync(modelPath('templates/expected.json'), 'utf8'))['Qwen-Qwen2.5-7B-Instruct'];
    const conversations = JSON.parse(readFileSync(modelPath('templates/conversations.json'), 'utf8'));
    for (const conv of conversations as { id: string; messages: never[]; add_generation_prompt: boolean }[]) {
      if (conv.id === 'tools') continue; // tools need the template's tool path; the chat-template tests cover it
      const want = expected.renders[conv.id].text;
      expect(model.applyChatTemplate(conv.messages, { addGenerationPrompt: conv.add_generation_prompt, now: () => new Date('2026-12-07T00:00:00Z') })).toBe(want);
    }
    const ids = chatPromptIds(model, model.applyChatTemplate([{ role: 'user', content: 'Hello!' }]));
    const imStart = model.tokenize('<|im_start|>', { addSpecial: false, parseSpecial: true });
    expect(imStart).toHaveLength(1);
    expect(ids.filter((id) => id === imStart[0])).toHaveLength(3); // system, user, assistant
  });

  it('a reply ends at <|im_end|> (an end-of-generation token) and never prints it', async () => {
    const ctx = model.createContext({ contextSize: 256 });
    const [imEnd] = model.tokenize('<|im_end|>', { addSpecial: false, parseSpecial: true });
    const r = await ctx.chat([{ role: 'user', content: 'Hello!' }], { temperature: 0, maxTokens: 20, logitBias: { [imEnd]: 1000 } }).result();
    expect(r.finishReason).toBe('eos');
    expect(r.ids).toEqual([]);
    expect(r.text).toBe('');
    ctx.dispose();
  });

  it('legato chat: two turns from piped stdin; the second reuses the first from the prefix cache', () => {
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', join(REPO_ROOT, 'packages/cli/src/bin.ts'), 'chat', file, '--temp', '0', '-n', '8', '--stats', '--threads', '1'], {
      cwd: REPO_ROOT, encoding: 'utf8', input: 'Hello!\nWho are you?\n', timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const stats = [...r.stderr.matchAll(/\[(\d+) prompt tokens \((\d+) cached\), (\d+) generated/g)].map((m) => m.slice(1).map(Number));
    expect(stats).toHaveLength(2);
    const first = chatPromptIds(model, model.applyChatTemplate([{ role: 'user', content: 'Hello!' }]));
    expect(stats[0][0]).toBe(first.length);
    expect(stats[1][1]).toBeGreaterThanOrEqual(16);
    expect(r.stdout).not.toContain('<|im_end|>');
  });
});
