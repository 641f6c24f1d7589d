/**
 * /metrics parsed by a Prometheus text-format parser: vLLM's families and bucket boundaries under
 * `legato:`, and the counters move by exactly what the requests did (usage numbers from the API).
 */
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LlamaModel } from '@legato/core';
import { ITL_BUCKETS, REQUEST_LATENCY_BUCKETS, TTFT_BUCKETS, type LegatoServer } from '../src/index.js';
import { loadTestModel, post, testServer } from './helpers.js';

let model: LlamaModel;
let server: LegatoServer;

beforeAll(async () => {
  model = await loadTestModel();
  server = await testServer(model);
});
afterAll(async () => {
  await server?.close();
  model?.dispose();
});

async function scrape(): Promise<Map<string, PromFamily>> {
  const r = await fetch(`${server.url}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
  return new Map(parsePrometheusTextFormat(await r.text()).map((f) => [f.name, f]));
}

function value(m: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number {
  const f = m.get(name);
  if (!f) throw new Error(`metric ${name} missing`);
  const s = f.type === 'HISTOGRAM' ? f.metrics[0] : f.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  if (!s) throw new Error(`metric ${name}${JSON.stringify(labels)} missing`);
  // Histograms: the cumulative +Inf bucket is the count. (This parser drops _count, _sum and the
  // labels of a labelled histogram, so only single-series histograms are read this way.)
  return Number(s.value ?? s.count ?? s.buckets?.['+Inf']);
}

function boundaries(m: Map<string, PromFamily>, name: string): number[] {
  const f = m.get(name)!;
  expect(f.type).toBe('HISTOGRAM');
  return Object.keys(f.metrics[0].buckets!).filter((k) => k !== '+Inf').map(Number).sort((a, b) => a - b);
}

describe('/metrics', () => {
  it('exposes vLLM\'s histograms with vLLM\'s bucket boundaries', async () => {
    const m = await scrape();
    expect(boundaries(m, 'legato:time_to_first_token_seconds')).toEqual(TTFT_BUCKETS);
    expect(boundaries(m, 'legato:inter_token_latency_seconds')).toEqual(ITL_BUCKETS);
    for (const name of ['e2e_request_latency_seconds', 'request_queue_time_seconds', 'request_prefill_time_seconds', 'request_decode_time_seconds', 'request_inference_time_seconds']) {
      expect(boundaries(m, `legato:${name}`)).toEqual(REQUEST_LATENCY_BUCKETS);
    }
    // Spot-check the constants against vLLM's loggers.py, so a typo in both places is caught.
    expect(TTFT_BUCKETS).toHaveLength(22);
    expect(TTFT_BUCKETS.at(-1)).toBe(2560);
    expect(ITL_BUCKETS).toHaveLength(19);
    expect(REQUEST_LATENCY_BUCKETS).toHaveLength(21);
    expect(REQUEST_LATENCY_BUCKETS.at(-1)).toBe(7680);
    for (const g of ['legato:num_requests_running', 'legato:num_requests_waiting', 'legato:kv_cache_usage_perc']) expect(m.get(g)?.type).toBe('GAUGE');
    for (const c of ['legato:prompt_tokens_total', 'legato:generation_tokens_total', 'legato:num_preemptions_total', 'legato:prefix_cache_queries_total', 'legato:prefix_cache_hits_total', 'legato:request_success_total', 'legato:itl_spikes_total']) {
      expect(m.get(c)?.type).toBe('COUNTER');
    }
    expect(m.get('legato:kv_gc_pause_seconds')?.type).toBe('HISTOGRAM');
    expect(m.get('legato:v8_gc_pause_seconds')?.type).toBe('HISTOGRAM');
    expect(m.get('legato:itl_spikes_total')!.metrics.map((s) => s.labels!.cause).sort()).toEqual(['kv-gc', 'prefill', 'unknown', 'v8-gc']);
  });

  it('counters move by what the requests did', async () => {
    const before = await scrape();
    // A prompt of several full KV blocks, sent twice: the second is served from the prefix cache.
    const prompt = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends and her dog.';
    const promptTokens = model.tokenize(prompt, { addSpecial: true }).length;
    expect(promptTokens).toBeGreaterThan(32);
    const usages: { prompt_tokens: number; completion_tokens: number }[] = [];
    for (const stream of [false, true, false]) {
      const r = await post(`${server.url}/v1/completions`, { prompt, max_tokens: 10, temperature: 0, ignore_eos: true, stream, stream_options: { include_usage: true } });
      expect(r.status).toBe(200);
      if (stream) {
        const events = String(r.json).split('\n\n').filter((e) => e.startsWith('data: {'));
        usages.push(JSON.parse(events.at(-1)!.slice(6)).usage);
      } else usages.push(r.json.usage);
    }
    // Metrics are updated as requests finish; spikes are attributed a macrotask later.
    await new Promise((r) => setTimeout(r, 50));
    const after = await scrape();
    const d = (name: string, labels?: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
    const gen = usages.reduce((a, u) => a + u.completion_tokens, 0);
    expect(gen).toBe(30);
    expect(d('legato:generation_tokens_total')).toBe(gen);
    expect(d('legato:prompt_tokens_total')).toBe(usages.reduce((a, u) => a + u.prompt_tokens, 0));
    expect(d('legato:request_success_total', { finished_reason: 'length' })).toBe(3);
    expect(d('legato:time_to_first_token_seconds')).toBe(3);
    expect(d('legato:inter_token_latency_seconds')).toBe(gen - 3);
    expect(d('legato:e2e_request_latency_seconds')).toBe(3);
    expect(d('legato:request_generation_tokens')).toBe(3);
    expect(d('legato:prefix_cache_queries_total')).toBe(3 * promptTokens);
    expect(d('legato:prefix_cache_hits_total')).toBeGreaterThanOrEqual(2 * 32);
    expect(d('legato:kv_gc_pause_seconds', { policy: 'eager' })).toBeGreaterThan(0);
    expect(d('legato:kv_gc_reclaimed_blocks_total', { policy: 'eager' })).toBeGreaterThan(0);
    expect(value(after, 'legato:num_requests_running')).toBe(0);
    expect(value(after, 'legato:num_requests_waiting')).toBe(0);
    const spikes = after.get('legato:itl_spikes_total')!.metrics.reduce((a, s) => a + Number(s.value), 0);
    expect(Number.isFinite(spikes)).toBe(true);
  });
});
