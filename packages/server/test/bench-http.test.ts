/**
 * `bench serve --url`'s HTTP driver against a real Legato server: every request streamed to its
 * end with the server's own token counts, client-side latencies that agree with what the server
 * counted in /metrics, text prompts from a dataset through the chat endpoint, and failures
 * recorded (not thrown) when the server refuses.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LlamaModel } from '@legato/core';
import { datasetRequests, parseDataset, DatasetError } from '../../bench/src/dataset.js';
import { firstModel, httpTarget } from '../../bench/src/http-target.js';
import { runLoad } from '../../bench/src/serve.js';
import { randomRequests } from '../../bench/src/workloads.js';
import { chatPrompt, type LegatoServer } from '../src/index.js';
import { expectNoLeak, loadTestModel, testServer } from './helpers.js';

let model: LlamaModel;
let server: LegatoServer;
let dir: string;

beforeAll(async () => {
  model = await loadTestModel();
  server = await testServer(model, { maxSequences: 4 });
  dir = await mkdtemp(join(tmpdir(), 'legato-bench-http-'));
});
afterAll(async () => {
  await server?.close();
  model?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const generated = async (): Promise<number> =>
  Number(/^legato:generation_tokens_total\{[^}]*\} (\d+)/m.exec(await (await fetch(`${server.url}/metrics`)).text())![1]);

describe('HTTP load driver', () => {
  it('streams every request to its end and agrees with the server\'s counters', async () => {
    expect(await firstModel(`${server.url}/v1`)).toBe('stories');
    const before = await generated();
    const requests = randomRequests({ count: 8, inputLen: 16, outputLen: 12, vocabSize: 256, seed: 3 });
    const target = httpTarget({ url: server.url, model: 'stories' });
    const r = await runLoad(target, requests, { maxConcurrency: 4, slo: { ttftMs: 60_000, tpotMs: 60_000 } });
    expect(r.summary.failed).toBe(0);
    expect(r.summary.completed).toBe(8);
    for (const q of r.requests) {
      expect(q.outputTokens).toBe(12);
      expect(q.promptTokens).toBe(16); // the server's usage.prompt_tokens
      expect(q.ttftMs).toBeGreaterThan(0);
      expect(q.tpotMs).toBeGreaterThan(0);
      expect(q.e2eMs).toBeGreaterThanOrEqual(q.ttftMs);
    }
    expect(r.summary.totalOutputTokens).toBe(96);
    expect(r.summary.itl.count).toBe(8 * 11); // one gap per streamed token after the first
    expect(r.summary.goodput).toMatchObject({ good: 8, total: 8 });
    expect(r.summary.outputThroughput).toBeGreaterThan(0);
    expect((await generated()) - before).toBe(96);
    await expectNoLeak(server);
  });

  it('sends dataset text through the chat endpoint', async () => {
    const file = join(dir, 'prompts.jsonl');
    await writeFile(file, [
      JSON.stringify({ prompt: 'Tell me a story about a cat.' }),
      JSON.stringify({ conversations: [{ from: 'human', value: 'What did the dog do?' }, { from: 'gpt', value: 'It ran.' }], output_len: 5 }),
    ].join('\n'));
    const requests = datasetRequests(file, 4, 9);
    expect(requests.map((q) => q.outputTokens)).toEqual([9, 5, 9, 5]);
    const r = await runLoad(httpTarget({ url: server.url, model: 'stories', endpoint: 'chat' }), requests, { maxConcurrency: 2 });
    expect(r.summary.failed).toBe(0);
    expect(r.requests.map((q) => q.outputTokens)).toEqual([9, 5, 9, 5]);
    expect(r.requests[0].promptTokens).toBe(chatPrompt(model, [{ role: 'user', content: 'Tell me a story about a cat.' }]).length);
  });

  it('records a refused request as failed with the server\'s message', async () => {
    const requests = randomRequests({ count: 2, inputLen: 4, outputLen: 4, vocabSize: 256 });
    const r = await runLoad(httpTarget({ url: server.url, model: 'no-such-model' }), requests, {});
    expect(r.summary.failed).toBe(2);
    expect(r.requests[0].error).toMatch(/^HTTP 404: .*model_not_found/);
  });

  it('rejects malformed datasets by record', () => {
    expect(() => parseDataset('{"prompt": 3}')).toThrow(DatasetError);
    expect(() => parseDataset('[{"prompt": "a", "output_len": 0}]')).toThrow(/record 0: output_len/);
    expect(() => parseDataset('not json')).toThrow(/not JSON/);
    expect(parseDataset('[{"prompt": "a"}, {"prompt": "b", "output_len": 3}]')).toEqual([{ prompt: 'a' }, { prompt: 'b', outputLen: 3 }]);
  });
});
