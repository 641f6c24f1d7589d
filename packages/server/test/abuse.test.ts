/**
 * Abuse on loopback: malformed and mistyped bodies, absurd numbers, prompts over the context,
 * oversized bodies, floods, clients that vanish mid-stream or read slowly. Every error must be a
 * 4xx in OpenAI's shape naming the field, the server must keep answering, and afterwards no KV
 * block may be held (pool counters and the full invariant audit).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LlamaModel } from '@legato/core';
import type { LegatoServer } from '../src/index.js';
import { engineOf, expectNoLeak, loadTestModel, post, testServer } from './helpers.js';

let model: LlamaModel;
let server: LegatoServer;
let url: string;
const statuses: number[] = [];

beforeAll(async () => {
  model = await loadTestModel();
  server = await testServer(model, { bodyLimit: 64 * 1024, maxSequences: 8 });
  url = server.url;
});
afterAll(async () => {
  await server?.close();
  model?.dispose();
});

/** Asserts an OpenAI-shaped 4xx naming `param` (when given) and returns the error object. */
async function expectError(path: string, body: unknown, status: number, param?: string | null, init?: { raw?: boolean; headers?: Record<string, string> }) {
  const r = await post(`${url}${path}`, body, init);
  statuses.push(r.status);
  expect(r.status, JSON.stringify(r.json)).toBe(status);
  expect(Object.keys(r.json)).toEqual(['error']);
  expect(Object.keys(r.json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof r.json.error.message).toBe('string');
  expect(r.json.error.message.length).toBeLessThanOrEqual(320);
  // The field or a path inside it (`prompt.1` for the second token id).
  if (param !== undefined) expect(param === null ? r.json.error.param : String(r.json.error.param).split('.').slice(0, param.split('.').length).join('.')).toBe(param);
  return r.json.error;
}

const C = '/v1/completions';
const CHAT = '/v1/chat/completions';

describe('bad requests are 4xx in OpenAI\'s shape, naming the field', () => {
  it('malformed JSON, wrong content type, empty body', async () => {
    await expectError(C, '{"prompt": "x", ', 400, null, { raw: true });
    await expectError(C, '{"prompt": "x", "temperature": NaN}', 400, null, { raw: true });
    await expectError(C, '', 400, null, { raw: true });
    await expectError(C, 'prompt=x', 415, null, { raw: true, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await expectError(C, [1, 2], 400);
    await expectError(C, 'just a string', 400);
  });

  it('wrong types name their field', async () => {
    await expectError(C, { prompt: 42 }, 400, 'prompt');
    await expectError(C, {}, 400, 'prompt');
    await expectError(C, { prompt: [1, -2] }, 400, 'prompt');
    await expectError(C, { prompt: 'x', temperature: 'hot' }, 400, 'temperature');
    await expectError(C, { prompt: 'x', temperature: 'NaN' }, 400, 'temperature');
    await expectError(C, '{"prompt": "x", "temperature": 1e400}', 400, 'temperature', { raw: true }); // parses as Infinity
    await expectError(C, { prompt: 'x', temperature: -1 }, 400, 'temperature');
    await expectError(C, { prompt: 'x', top_p: 0 }, 400, 'top_p');
    await expectError(C, { prompt: 'x', stop: 5 }, 400, 'stop');
    await expectError(C, { prompt: 'x', stop: [''] }, 400, 'stop');
    await expectError(C, { prompt: 'x', seed: 1.5 }, 400, 'seed');
    await expectError(C, { prompt: 'x', logit_bias: { abc: 1 } }, 400, 'logit_bias.abc');
    await expectError(C, { prompt: 'x', logit_bias: { 999999: 1 } }, 400, 'logit_bias');
    await expectError(C, { prompt: 'x', logit_bias: { 5: 500 } }, 400, 'logit_bias.5');
    await expectError(C, { prompt: 'x', n: 2 }, 400, 'n');
    await expectError(C, { prompt: 'x', stream: 'yes' }, 400, 'stream');
    await expectError(C, { prompt: [999999] }, 400, 'prompt');
    await expectError(CHAT, { messages: 'hi' }, 400, 'messages');
    await expectError(CHAT, { messages: [] }, 400, 'messages');
    await expectError(CHAT, { messages: [{ role: 'wizard', content: 'x' }] }, 400, 'messages.0.role');
    await expectError(CHAT, { messages: [{ role: 'user', content: 7 }] }, 400, 'messages.0.content');
    await expectError(CHAT, { messages: [{ role: 'user', content: 'x' }], top_logprobs: 3 }, 400, 'top_logprobs');
    await expectError('/tokenize', { content: 3 }, 400, 'content');
    await expectError('/detokenize', { tokens: [1, 99999] }, 400, 'tokens.1');
  });

  it('max_tokens negative, zero, fractional, huge', async () => {
    await expectError(C, { prompt: 'x', max_tokens: -1 }, 400, 'max_tokens');
    await expectError(C, { prompt: 'x', max_tokens: 0 }, 400, 'max_tokens');
    await expectError(C, { prompt: 'x', max_tokens: 2.5 }, 400, 'max_tokens');
    await expectError(C, { prompt: 'x', max_tokens: 1e300 }, 400, 'max_tokens');
    const e = await expectError(C, { prompt: 'x', max_tokens: 100000 }, 400, 'max_tokens');
    expect(e.code).toBe('context_length_exceeded');
    await expectError(CHAT, { messages: [{ role: 'user', content: 'x' }], max_completion_tokens: 100000 }, 400, 'max_completion_tokens');
  });

  it('a prompt longer than the context is a 400, not a 500', async () => {
    const long = 'the cat sat on the mat and '.repeat(60);
    const e = await expectError(C, { prompt: long, max_tokens: 1 }, 400, 'prompt');
    expect(e.code).toBe('context_length_exceeded');
    await expectError(CHAT, { messages: [{ role: 'user', content: long }] }, 400, 'messages');
    await expectError(C, { prompt: Array.from({ length: 300 }, () => 5) }, 400, 'prompt');
  });

  it('a body over the limit is a 413', async () => {
    const e = await expectError(C, { prompt: 'x'.repeat(100 * 1024) }, 413);
    expect(e.code).toBe('request_too_large');
  });

  it('unknown routes are 404s; unknown fields are ignored', async () => {
    await expectError('/v1/nothing', {}, 404);
    const r = await post(`${url}${C}`, { prompt: 'Once', max_tokens: 2, frobnicate: true, user: 'u1', suffix: null });
    expect(r.status).toBe(200);
  });

  it('every error so far was a 4xx', () => {
    expect(statuses.length).toBeGreaterThan(30);
    expect(statuses.every((s) => s >= 400 && s < 500)).toBe(true);
  });
});

describe('floods and vanishing clients', () => {
  it('200 concurrent connections all get their answer', async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        post(`${url}${C}`, { prompt: `Once upon a time ${i}`, max_tokens: 4, temperature: 0, ignore_eos: true, stream: i % 2 === 0 }),
      ),
    );
    for (const r of results) expect(r.status).toBe(200);
    const streamed = results.filter((_, i) => i % 2 === 0);
    for (const r of streamed) expect(String(r.json)).toContain('data: [DONE]');
    for (const r of results.filter((_, i) => i % 2 === 1)) expect(r.json.usage.completion_tokens).toBe(4);
    await expectNoLeak(server);
  });

  it('a client that disconnects mid-stream cancels its request and frees its blocks', async () => {
    const engine = engineOf(server);
    const ac = new AbortController();
    const res = await fetch(`${url}${C}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Once upon a time', max_tokens: 240, ignore_eos: true, stream: true }),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    let got = '';
    while ((got.match(/data: \{/g) ?? []).length < 3) got += new TextDecoder().decode((await reader.read()).value);
    expect(engine.runningCount).toBe(1);
    ac.abort();
    await reader.cancel().catch(() => undefined);
    // Cancelled at the engine's next step: far sooner than 240 tokens would take.
    const t0 = performance.now();
    while (engine.runningCount > 0 && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 5));
    expect(engine.runningCount).toBe(0);
    await expectNoLeak(server);
    const m = await (await fetch(`${url}/metrics`)).text();
    expect(m).toMatch(/legato:request_success_total\{model_name="stories",finished_reason="abort"\} [1-9]/);
  });

  it('a client that gives up on a non-streaming request cancels it too', async () => {
    const engine = engineOf(server);
    const ac = new AbortController();
    const p = fetch(`${url}${C}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Once upon a time', max_tokens: 240, ignore_eos: true }),
      signal: ac.signal,
    }).catch((e: unknown) => e);
    const t0 = performance.now();
    while (engine.runningCount === 0 && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 2));
    const aborts = async () => Number(/finished_reason="abort"\} (\d+)/.exec(await (await fetch(`${url}/metrics`)).text())![1]);
    const before = await aborts();
    ac.abort();
    expect(await p).toBeInstanceOf(Error);
    while (engine.runningCount > 0 && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 5));
    expect(engine.runningCount).toBe(0);
    expect(await aborts()).toBe(before + 1);
    await expectNoLeak(server);
  });

  it('a slow reader gets its whole stream while others are served', async () => {
    const body = JSON.stringify({ prompt: 'Once upon a time', max_tokens: 200, ignore_eos: true, temperature: 0, stream: true, stream_options: { include_usage: true } });
    const sock = connect(server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const ended = new Promise<void>((resolve) => sock.on('end', resolve));
    sock.on('data', (b) => chunks.push(b));
    sock.write(`POST ${C} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    sock.pause(); // read nothing for a while
    const other = await post(`${url}${C}`, { prompt: 'The dog', max_tokens: 8, temperature: 0 });
    expect(other.status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    sock.resume();
    await ended;
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text.startsWith('HTTP/1.1 200')).toBe(true);
    expect(text).toContain('data: [DONE]');
    const usage = [...text.matchAll(/^data: (\{.*\})$/gm)].map((m) => JSON.parse(m[1])).find((e) => e.usage)?.usage;
    expect(usage?.completion_tokens).toBe(200);
    await expectNoLeak(server);
  });

  it('afterwards the server still answers', async () => {
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const r = await post(`${url}${C}`, { prompt: 'Once', max_tokens: 3 });
    expect(r.status).toBe(200);
    await expectNoLeak(server);
  });
});

describe('limits', () => {
  it('a full queue answers 429 with Retry-After; the queued requests still finish', async () => {
    const s = await testServer(model, { maxSequences: 1, maxQueue: 1 });
    try {
      const engine = engineOf(s);
      const long = { prompt: 'Once upon a time', max_tokens: 120, ignore_eos: true };
      const first = post(`${s.url}${C}`, long);
      while (engine.runningCount === 0) await new Promise((r) => setTimeout(r, 2));
      const second = post(`${s.url}${C}`, long);
      while (engine.waitingCount === 0) await new Promise((r) => setTimeout(r, 2));
      const third = await post(`${s.url}${C}`, long);
      expect(third.status).toBe(429);
      expect(third.headers.get('retry-after')).toBe('1');
      expect(third.json.error).toMatchObject({ type: 'rate_limit_error', code: 'queue_full' });
      expect((await first).status).toBe(200);
      expect((await second).status).toBe(200);
      await expectNoLeak(s);
    } finally {
      await s.close();
    }
  });

  it('CORS is off by default; --cors allows the given origin, preflight included', async () => {
    const origin = 'http://dashboard.example';
    const plain = await fetch(`${url}/v1/models`, { headers: { origin } });
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    const s = await testServer(model, { cors: origin });
    try {
      const r = await fetch(`${s.url}/v1/models`, { headers: { origin } });
      expect(r.headers.get('access-control-allow-origin')).toBe(origin);
      const pre = await fetch(`${s.url}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
      // Streams carry the header too (they write their own head).
      const st = await fetch(`${s.url}/v1/completions`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'Once', max_tokens: 2, stream: true }) });
      expect(st.headers.get('access-control-allow-origin')).toBe(origin);
      await st.text();
    } finally {
      await s.close();
    }
  });

  it('--api-key: 401 without or with a wrong key, 200 with it; /health stays open', async () => {
    const s = await testServer(model, { apiKey: 'sekret' });
    try {
      const body = { prompt: 'Once', max_tokens: 2 };
      const none = await post(`${s.url}${C}`, body);
      expect(none.status).toBe(401);
      expect(none.json.error.code).toBe('invalid_api_key');
      expect((await post(`${s.url}${C}`, body, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
      expect((await post(`${s.url}/tokenize`, { content: 'x' })).status).toBe(401);
      expect((await post(`${s.url}${C}`, body, { headers: { authorization: 'Bearer sekret' } })).status).toBe(200);
      expect((await fetch(`${s.url}/health`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
