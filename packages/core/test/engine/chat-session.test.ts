/** Chat on a context: the template's prompt, history across turns, and the KV prefix reused. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatSession, chatPromptIds, loadModel, type LlamaModel } from '../../src/index.js';
import { modelPath } from '../../../../testing/models.js';

let model: LlamaModel;
beforeAll(async () => {
  model = await loadModel(modelPath('stories260K.gguf'), { backend: 'reference' });
});
afterAll(() => model.dispose());

describe('chat', () => {
  it('ctx.chat generates from the rendered template, tokenized with special tokens parsed', async () => {
    const ctx = model.createContext({ contextSize: 256 });
    const messages = [{ role: 'user', content: 'Tell me a story.' }];
    const viaChat = await ctx.chat(messages, { temperature: 0, maxTokens: 10 }).result();
    const ids = chatPromptIds(model, model.applyChatTemplate(messages));
    expect(viaChat.promptIds).toEqual(ids);
    const viaGenerate = await ctx.generate(ids, { temperature: 0, maxTokens: 10 }).result();
    expect(viaChat.ids).toEqual(viaGenerate.ids);
    ctx.dispose();
  });

  it('a session keeps the history, and the next turn reuses the previous turns from the prefix cache', async () => {
    const ctx = model.createContext({ contextSize: 512, blockSize: 8 });
    const s = new ChatSession(ctx, { system: 'You tell stories.' });
    const first = await s.prompt('Tell me a story.', { temperature: 0, maxTokens: 16 }).result();
    expect(s.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect(s.messages[2].content).toBe(first.text);
    const second = await s.prompt('Another one.', { temperature: 0, maxTokens: 16 }).result();
    // Turn 2's prompt is turn 1's conversation plus the new message: its first turn is cached.
    expect(second.promptIds.slice(0, first.promptIds.length)).toEqual(first.promptIds);
    expect(second.cachedPromptTokens).toBeGreaterThanOrEqual(Math.floor(first.promptIds.length / 8) * 8);
    const rendered = model.applyChatTemplate([...s.messages.slice(0, 3), { role: 'user', content: 'Another one.' }]);
    expect(second.promptIds).toEqual(chatPromptIds(model, rendered));
    s.reset();
    expect(s.messages.map((m) => m.role)).toEqual(['system']);
    const again = await s.prompt('Tell me a story.', { temperature: 0, maxTokens: 16 }).result();
    expect(again.ids).toEqual(first.ids);
    ctx.dispose();
  });

  it('an aborted reply keeps what was said; a bad message is a typed error', async () => {
    const ctx = model.createContext({ contextSize: 256 });
    const s = new ChatSession(ctx);
    const g = s.prompt('Hello', { temperature: 0, maxTokens: 50 });
    let n = 0;
    for await (const _t of g) if (++n === 3) g.cancel();
    const r = await g.result();
    expect(r.finishReason).toBe('abort');
    expect(s.messages).toHaveLength(2);
    expect(() => ctx.chat([] as never)).toThrow(/messages must be a non-empty array/);
    expect(() => ctx.chat([{ role: 'user', content: 5 }] as never)).toThrow(/content is a string/);
    ctx.dispose();
  });
});
