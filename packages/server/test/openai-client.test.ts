/**
 * The official `openai` client against a real server on a loopback port: completions and chat,
 * streaming and not. The reference for the text is the library's own generate() on the same
 * model (itself checked against llama.cpp in core's tests): the server must be a faithful pipe.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LlamaModel } from '@legato/core';
import { chatPrompt, type LegatoServer } from '../src/index.js';
import { expectNoLeak, loadTestModel, testServer } from './helpers.js';

let model: LlamaModel;
let server: LegatoServer;
let client: OpenAI;

beforeAll(async () => {
  model = await loadTestModel();
  server = await testServer(model);
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  await server?.close();
  model?.dispose();
});

/** Greedy text of the library itself, the reference the server must reproduce. */
async function reference(prompt: string | number[], maxTokens: number): Promise<{ text: string; promptTokens: number; tokens: number }> {
  const ctx = model.createContext({ contextSize: 256 });
  try {
    const r = await ctx.generate(prompt, { temperature: 0, maxTokens }).result();
    return { text: r.text, promptTokens: r.promptIds.length, tokens: r.ids.length };
  } finally {
    ctx.dispose();
  }
}

const PROMPT = 'Once upon a time, there was a little';

describe('openai client → legato serve', () => {
  it('lists the served model', async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual(['stories']);
  });

  it('completions: greedy text equals generate(), usage counts the tokens', async () => {
    const ref = await reference(PROMPT, 24);
    const r = await client.completions.create({ model: 'stories', prompt: PROMPT, max_tokens: 24, temperature: 0 });
    expect(r.object).toBe('text_completion');
    expect(r.id).toMatch(/^cmpl-/);
    expect(r.system_fingerprint).toMatch(/^legato-/);
    expect(r.choices[0].text).toBe(ref.text);
    expect(r.choices[0].finish_reason).toBe(ref.tokens === 24 ? 'length' : 'stop');
    expect(r.usage).toEqual({ prompt_tokens: ref.promptTokens, completion_tokens: ref.tokens, total_tokens: ref.promptTokens + ref.tokens });
  });

  it('completions: a prompt of token ids is used as-is', async () => {
    const ids = model.tokenize(PROMPT, { addSpecial: true });
    const a = await client.completions.create({ model: 'stories', prompt: ids, max_tokens: 12, temperature: 0 });
    const b = await client.completions.create({ model: 'stories', prompt: PROMPT, max_tokens: 12, temperature: 0 });
    expect(a.choices[0].text).toBe(b.choices[0].text);
    expect(a.usage!.prompt_tokens).toBe(ids.length);
  });

  it('completions streaming: chunks concatenate to the same text; include_usage sends usage last', async () => {
    const ref = await reference(PROMPT, 24);
    const stream = await client.completions.create({ model: 'stories', prompt: PROMPT, max_tokens: 24, temperature: 0, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let chunks = 0;
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const c of stream) {
      chunks++;
      if (c.choices.length > 0) {
        text += c.choices[0].text;
        finish = c.choices[0].finish_reason ?? finish;
        expect(c.usage ?? null).toBeNull();
      } else usage = c.usage;
    }
    expect(text).toBe(ref.text);
    expect(chunks).toBeGreaterThan(5); // streamed token by token, not in one piece
    expect(finish).toBe('length');
    expect(usage).toEqual({ prompt_tokens: ref.promptTokens, completion_tokens: 24, total_tokens: ref.promptTokens + 24 });
  });

  it('chat: the reply is generate() on the conversation in the model\'s chat format, streaming or not', async () => {
    const messages = [
      { role: 'system' as const, content: 'You tell short stories.' },
      { role: 'user' as const, content: 'Tell me about a cat.' },
    ];
    const ref = await reference(chatPrompt(model, messages), 20);
    const r = await client.chat.completions.create({ model: 'stories', messages, max_completion_tokens: 20, temperature: 0 });
    expect(r.object).toBe('chat.completion');
    expect(r.choices[0].message).toMatchObject({ role: 'assistant', content: ref.text });
    expect(r.usage).toMatchObject({ prompt_tokens: ref.promptTokens, completion_tokens: ref.tokens });

    const stream = await client.chat.completions.create({ model: 'stories', messages, max_tokens: 20, temperature: 0, stream: true });
    let text = '';
    let role: string | undefined;
    let finish: string | null = null;
    for await (const c of stream) {
      expect(c.object).toBe('chat.completion.chunk');
      role ??= c.choices[0].delta.role;
      text += c.choices[0].delta.content ?? '';
      finish = c.choices[0].finish_reason ?? finish;
    }
    expect(role).toBe('assistant');
    expect(text).toBe(ref.text);
    expect(finish).toBe(ref.tokens === 20 ? 'length' : 'stop');
  });

  it('stop strings end the text before the stop, with finish_reason "stop"', async () => {
    const ref = await reference(PROMPT, 40);
    // A word the greedy continuation contains, some way in.
    const word = ref.text.split(' ').filter((w) => w.length >= 3)[2];
    expect(word).toBeTruthy();
    const cut = ref.text.indexOf(word);
    const r = await client.completions.create({ model: 'stories', prompt: PROMPT, max_tokens: 40, temperature: 0, stop: word });
    expect(r.choices[0].text).toBe(ref.text.slice(0, cut));
    expect(r.choices[0].finish_reason).toBe('stop');
    const stream = await client.completions.create({ model: 'stories', prompt: PROMPT, max_tokens: 40, temperature: 0, stop: ['zzzz', word], stream: true });
    let text = '';
    let finish: string | null = null;
    for await (const c of stream) {
      text += c.choices[0]?.text ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe(ref.text.slice(0, cut));
    expect(finish).toBe('stop');
  });

  it('logprobs: per-token log-probabilities in the chat and the legacy shapes', async () => {
    const chat = await client.chat.completions.create({ model: 'stories', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 8, temperature: 0, logprobs: true, top_logprobs: 3 });
    const content = chat.choices[0].logprobs!.content!;
    expect(content).toHaveLength(chat.usage!.completion_tokens);
    expect(content.map((c) => c.token).join('')).toContain(chat.choices[0].message.content!.trim().slice(0, 3));
    for (const c of content) {
      expect(c.logprob).toBeLessThanOrEqual(0);
      expect(c.top_logprobs).toHaveLength(3);
      // Greedy: the chosen token is the most likely one.
      expect(c.logprob).toBeCloseTo(c.top_logprobs[0].logprob, 5);
      expect(c.top_logprobs.reduce((a, t) => a + Math.exp(t.logprob), 0)).toBeLessThanOrEqual(1 + 1e-6);
      expect(Buffer.from(c.bytes!).toString('utf8')).toBe(c.token);
    }
    const text = await client.completions.create({ model: 'stories', prompt: PROMPT, max_tokens: 6, temperature: 0, logprobs: 2 });
    const lp = text.choices[0].logprobs!;
    expect(lp.tokens).toHaveLength(6);
    expect(lp.token_logprobs).toHaveLength(6);
    expect(lp.top_logprobs!.every((t) => Object.keys(t).length >= 1 && Object.keys(t).length <= 2)).toBe(true);
    expect(lp.text_offset![0]).toBe(0);
    const plain = await client.completions.create({ model: 'stories', prompt: PROMPT, max_tokens: 6, temperature: 0 });
    expect(plain.choices[0].logprobs).toBeNull();
  });

  it('a seed makes sampling reproducible; another seed changes it', async () => {
    const ask = (seed: number) =>
      client.completions.create({ model: 'stories', prompt: PROMPT, max_tokens: 32, temperature: 1, seed }).then((r) => r.choices[0].text);
    const [a, b, c] = await Promise.all([ask(1234), ask(1234), ask(99)]);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('concurrent requests in one batch give each its own greedy text', async () => {
    const prompts = ['Once upon a time', 'The little dog', 'Lily and Tom went', 'One day, a bird'];
    const refs = await Promise.all(prompts.map((p) => reference(p, 16)));
    const rs = await Promise.all(prompts.map((p) => client.completions.create({ model: 'stories', prompt: p, max_tokens: 16, temperature: 0 })));
    expect(rs.map((r) => r.choices[0].text)).toEqual(refs.map((r) => r.text));
    await expectNoLeak(server);
  });

  it('an unknown model name is a 404 in OpenAI\'s shape', async () => {
    const e = await client.completions.create({ model: 'gpt-4', prompt: 'x', max_tokens: 1 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OpenAI.NotFoundError);
    expect((e as InstanceType<typeof OpenAI.NotFoundError>).error).toMatchObject({ type: 'not_found_error', param: 'model', code: 'model_not_found' });
  });
});
