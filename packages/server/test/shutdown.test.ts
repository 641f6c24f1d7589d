/**
 * Lifecycle: /health is 503 while the model loads; a graceful shutdown lets an in-flight stream
 * finish, refuses new work, and past the drain timeout cancels what is left with an error event;
 * `legato serve` does the same on SIGTERM and exits 0.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LlamaModel } from '@legato/core';
import { buildApp, type ServerState } from '../src/index.js';
import { modelPath, REPO_ROOT } from '../../../testing/models.js';
import { engineOf, loadTestModel, testServer } from './helpers.js';

let model: LlamaModel;
beforeAll(async () => {
  model = await loadTestModel();
});
afterAll(() => model?.dispose());

/** Starts a streaming completion and resolves once `n` token events arrived; `rest` reads the remainder. */
async function openStream(url: string, body: object, n = 3) {
  const res = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'Once upon a time', ignore_eos: true, stream: true, stream_options: { include_usage: true }, ...body }),
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  while ((text.match(/data: \{/g) ?? []).length < n) text += dec.decode((await reader.read()).value, { stream: true });
  const rest = async (): Promise<string> => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += dec.decode(value, { stream: true });
    }
  };
  return { rest };
}

const events = (text: string) => [...text.matchAll(/^data: (\{.*\})$/gm)].map((m) => JSON.parse(m[1]));

describe('lifecycle', () => {
  it('/health and the API answer 503 in OpenAI\'s shape while the model loads', async () => {
    const state: ServerState = { status: 'loading' };
    const app = await buildApp(state);
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(503);
    expect(health.json()).toEqual({ error: { message: 'Loading model', type: 'unavailable_error', param: null, code: 'model_loading' } });
    const c = await app.inject({ method: 'POST', url: '/v1/completions', payload: { prompt: 'x' } });
    expect(c.statusCode).toBe(503);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(503);
    await app.close();
  });

  it('graceful shutdown drains an in-flight stream and then stops listening', async () => {
    const server = await testServer(model, { drainTimeoutMs: 30_000 });
    const engine = engineOf(server);
    const s = await openStream(server.url, { max_tokens: 150 });
    const closed = server.close();
    await new Promise((r) => setTimeout(r, 20));
    // New work is refused while draining (a new connection is not accepted at all).
    const late = await fetch(`${server.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt":"x"}' }).then((r) => r.status, () => 'refused');
    expect([503, 'refused']).toContain(late);
    const text = await s.rest();
    expect(text).toContain('data: [DONE]');
    expect(events(text).at(-1).usage.completion_tokens).toBe(150);
    await closed;
    expect(engine.runningCount).toBe(0);
    expect(await fetch(`${server.url}/health`).then(() => 'open', () => 'refused')).toBe('refused');
  });

  it('past the drain timeout the rest is cancelled with an error event and the server stops', async () => {
    const server = await testServer(model, { drainTimeoutMs: 50, contextSize: 2048 });
    const s = await openStream(server.url, { max_tokens: 2000 });
    const t0 = performance.now();
    await server.close();
    expect(performance.now() - t0).toBeLessThan(5000);
    const text = await s.rest();
    expect(text).not.toContain('[DONE]');
    expect(events(text).at(-1)).toEqual({ error: { message: 'the server is shutting down', type: 'unavailable_error', param: null, code: 'shutting_down' } });
  });

  it('legato serve drains on SIGTERM and exits 0', async () => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', resolve(REPO_ROOT, 'packages/cli/src/bin.ts'), 'serve', modelPath('stories260K.gguf'), '--port', '0', '--threads', '1', '--ctx-size', '256'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (b) => (err += b));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (!/legato serve: ready/.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const url = /listening on (http:\/\/\S+)/.exec(err)?.[1];
      expect(url, err).toBeTruthy();
      const s = await openStream(url!, { max_tokens: 120 });
      child.kill('SIGTERM');
      const text = await s.rest();
      expect(text).toContain('data: [DONE]');
      expect(events(text).at(-1).usage.completion_tokens).toBe(120);
      expect(await exited).toBe(0);
      expect(err).toContain('stopped');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
