/**
 * The serving load mode: N requests with given prompt/output lengths, sent on an arrival
 * schedule (Poisson, or gamma with burstiness) or by a fixed number of concurrent clients, each
 * streamed to its end; measured on the client side as `vllm bench serve` does, with goodput for
 * the objectives given. The load talks to a {@link ServeTarget}: the in-process engine today,
 * an HTTP client of the server later, with the same schedule and the same metrics.
 */
import { InferenceEngine, type EngineOptions, type LlamaModel } from '@legato/core';
import { MetricsCollector, type CollectedRun, type Summary } from '@legato/metrics';
import { arrivalTimes } from './arrivals.js';
import { computeGoodput, requestLatency, type Goodput, type GoodputSlo, type RequestLatency } from './goodput.js';
import { collectorObserver } from './observers.js';
import type { LoadRequest } from './workloads.js';

/** Streamed-token callback of a target: `tokens` tokens arrived at `time` (performance.now()). */
export type TokenSink = (time: number, tokens: number) => void;

/** What a target knows about a request it finished (an HTTP server reports its own token counts). */
export interface SendResult {
  outputTokens: number;
  /** The prompt's length as the server tokenized it, when it says. */
  promptTokens?: number;
}

/** Something requests are sent to. */
export interface ServeTarget {
  /** Sends one request and streams it to its end; resolves with the tokens received. */
  send(req: LoadRequest, onTokens: TokenSink): Promise<number | SendResult>;
}

/** The in-process engine as a target. */
export function engineTarget(engine: InferenceEngine): ServeTarget {
  return {
    async send(req, onTokens) {
      let n = 0;
      for await (const t of engine.submit(req.promptIds, { maxTokens: req.outputTokens, ignoreEos: true, temperature: 0 })) {
        onTokens(t.time, 1);
        n++;
      }
      return n;
    },
  };
}

/** How the load is offered. */
export interface LoadOptions {
  /** Requests per second; Infinity (default) sends as fast as the concurrency limit allows. */
  rate?: number;
  /** Gamma shape of the inter-arrival times; 1 = Poisson. Default 1. */
  burstiness?: number;
  /** Most requests in flight (vLLM's --max-concurrency). Default: no limit. */
  maxConcurrency?: number;
  seed?: number;
  slo?: GoodputSlo;
  onProgress?: (p: { done: number; total: number }) => void;
}

/** One request as the client saw it. */
export interface ServedRequest extends RequestLatency {
  index: number;
  promptTokens: number;
  outputTokens: number;
  /** ms since the start of the run when it was sent. */
  sentAt: number;
  error?: string;
}

/** Aggregates of a load run, vLLM's result block. */
export interface ServeSummary {
  completed: number;
  failed: number;
  durationMs: number;
  totalInputTokens: number;
  totalOutputTokens: number;
  requestThroughput: number;
  outputThroughput: number;
  totalTokenThroughput: number;
  goodput?: Goodput;
  ttft: Summary;
  tpot: Summary;
  itl: Summary;
  e2e: Summary;
  maxConcurrency?: number;
  rate: number;
  burstiness: number;
}

/** Result of {@link runLoad}. */
export interface ServeResult {
  requests: ServedRequest[];
  summary: ServeSummary;
  /** Client-side timelines (and whatever server-side gauges the collector got). */
  collected: CollectedRun;
}

/** Counting semaphore for the concurrency limit. */
class Slots {
  private waiters: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((r) => this.waiters.push(r));
  }
  release(): void {
    const w = this.waiters.shift();
    if (w) w();
    else this.free++;
  }
}

/** Resolves at `t` (performance.now() clock) or just after; timers alone may fire a fraction of a ms early. */
async function sleepUntil(t: number): Promise<void> {
  for (let d = t - performance.now(); d > 0; d = t - performance.now()) await new Promise((r) => setTimeout(r, d));
}

/**
 * Offers `requests` to `target` and measures them. `metrics` may already receive server-side
 * events (gauges, KV GC, prefill) from an engine observer; requests are recorded here, keyed by
 * their index, from the client's side.
 */
export async function runLoad(target: ServeTarget, requests: readonly LoadRequest[], opts: LoadOptions = {}, metrics = new MetricsCollector()): Promise<ServeResult> {
  const rate = opts.rate ?? Infinity;
  const burstiness = opts.burstiness ?? 1;
  const limit = opts.maxConcurrency ?? Infinity;
  if (!(limit >= 1)) throw new RangeError(`maxConcurrency must be ≥ 1, got ${limit}`);
  const arrivals = arrivalTimes(requests.length, { rate, burstiness, seed: opts.seed });
  const slots = new Slots(Number.isFinite(limit) ? limit : requests.length);
  const served: ServedRequest[] = new Array(requests.length);
  const inflight: Promise<void>[] = [];
  let done = 0;
  metrics.start();
  const t0 = performance.now();
  for (let i = 0; i < requests.length; i++) {
    await sleepUntil(t0 + arrivals[i]);
    await slots.acquire();
    const req = requests[i];
    const send = performance.now();
    metrics.onRequestArrival(i, send, req.promptIds.length);
    const times: number[] = [];
    inflight.push(
      target
        .send(req, (time, tokens) => {
          for (let k = 0; k < tokens; k++) times.push(time);
          metrics.onToken(i, time, tokens);
        })
        .then(
          (sent) => {
            const end = performance.now();
            metrics.onFinish(i, end, 'length');
            const promptTokens = typeof sent === 'object' && sent.promptTokens !== undefined ? sent.promptTokens : req.promptIds.length;
            served[i] = { index: i, promptTokens, outputTokens: times.length, sentAt: send - t0, ...requestLatency(send, times) };
          },
          (e: unknown) => {
            metrics.onFinish(i, performance.now(), 'error');
            served[i] = { index: i, promptTokens: req.promptIds.length, outputTokens: times.length, sentAt: send - t0, ttftMs: NaN, tpotMs: NaN, e2eMs: NaN, ok: false, error: e instanceof Error ? e.message : String(e) };
          },
        )
        .finally(() => {
          slots.release();
          opts.onProgress?.({ done: ++done, total: requests.length });
        }),
    );
  }
  await Promise.all(inflight);
  await metrics.settle();
  metrics.stop();
  const collected = metrics.collect();
  return { requests: served, summary: summarizeServe(served, collected, { rate, burstiness, maxConcurrency: opts.maxConcurrency, slo: opts.slo }), collected };
}

function summarizeServe(served: readonly ServedRequest[], c: CollectedRun, o: { rate: number; burstiness: number; maxConcurrency?: number; slo?: GoodputSlo }): ServeSummary {
  const ok = served.filter((r) => r.ok !== false);
  const s = c.summary;
  const durationMs = s.durationMs;
  const input = ok.reduce((a, r) => a + r.promptTokens, 0);
  const output = ok.reduce((a, r) => a + r.outputTokens, 0);
  const perSec = (x: number): number => (durationMs > 0 ? (x * 1000) / durationMs : NaN);
  const hasSlo = o.slo && (o.slo.ttftMs !== undefined || o.slo.tpotMs !== undefined || o.slo.e2eMs !== undefined);
  return {
    completed: ok.length,
    failed: served.length - ok.length,
    durationMs,
    totalInputTokens: input,
    totalOutputTokens: output,
    requestThroughput: perSec(ok.length),
    outputThroughput: perSec(output),
    totalTokenThroughput: perSec(input + output),
    goodput: hasSlo ? computeGoodput(served, o.slo!, durationMs) : undefined,
    ttft: s.ttft,
    tpot: s.tpot,
    itl: s.itl,
    e2e: s.e2e,
    maxConcurrency: o.maxConcurrency,
    rate: o.rate,
    burstiness: o.burstiness,
  };
}

/** Options for {@link serveEngine}: the load plus the engine's configuration. */
export interface ServeEngineOptions extends LoadOptions {
  engine?: Omit<EngineOptions, 'observer'>;
}

/**
 * Builds an engine over `model`, feeds its steps, KV GC cycles and prefill chunks to the same
 * collector as the client-side measurements (so the report has KV utilisation and queue depth),
 * and runs the load against it.
 */
export async function serveEngine(model: LlamaModel, requests: readonly LoadRequest[], opts: ServeEngineOptions = {}): Promise<ServeResult> {
  const longest = requests.reduce((m, r) => Math.max(m, r.promptIds.length + r.outputTokens), 0);
  const metrics = new MetricsCollector({ tokensPerRequest: requests.reduce((m, r) => Math.max(m, r.outputTokens), 1) });
  const server = collectorObserver(metrics);
  const engine = new InferenceEngine(model, {
    ...opts.engine,
    contextSize: Math.max(opts.engine?.contextSize ?? 0, longest + 1),
    // Requests are recorded from the client side; the server reports only system-wide events.
    observer: { onStep: server.onStep, onKvGc: server.onKvGc, onPrefill: server.onPrefill },
  });
  try {
    return await runLoad(engineTarget(engine), requests, opts, metrics);
  } finally {
    engine.dispose();
  }
}

/** vLLM's "Serving Benchmark Result" block. */
export function formatServeSummary(s: ServeSummary): string {
  const W = 50;
  const row = (k: string, v: string): string => `${k.padEnd(40)}${v}`;
  const title = (t: string, fill: string): string => {
    const side = Math.max(0, W - t.length - 2);
    return `${fill.repeat(Math.floor(side / 2))} ${t} ${fill.repeat(Math.ceil(side / 2))}`;
  };
  const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : 'nan');
  const lines = [
    title('Serving Benchmark Result', '='),
    row('Successful requests:', String(s.completed)),
    row('Failed requests:', String(s.failed)),
    ...(s.maxConcurrency !== undefined ? [row('Maximum request concurrency:', String(s.maxConcurrency))] : []),
    row('Request rate (req/s):', Number.isFinite(s.rate) ? f(s.rate) : 'inf'),
    row('Burstiness:', f(s.burstiness)),
    row('Benchmark duration (s):', f(s.durationMs / 1000)),
    row('Total input tokens:', String(s.totalInputTokens)),
    row('Total generated tokens:', String(s.totalOutputTokens)),
    row('Request throughput (req/s):', f(s.requestThroughput)),
    ...(s.goodput ? [row('Request goodput (req/s):', f(s.goodput.requestsPerSecond)), row('Requests meeting every SLO:', `${s.goodput.good}/${s.goodput.total}`)] : []),
    row('Output token throughput (tok/s):', f(s.outputThroughput)),
    row('Total Token throughput (tok/s):', f(s.totalTokenThroughput)),
  ];
  const block = (name: string, abbr: string, x: Summary): string[] => [
    title(name, '-'),
    row(`Mean ${abbr} (ms):`, f(x.mean)),
    row(`Median ${abbr} (ms):`, f(x.p50)),
    row(`P99 ${abbr} (ms):`, f(x.p99)),
  ];
  lines.push(
    ...block('Time to First Token', 'TTFT', s.ttft),
    ...block('Time per Output Token (excl. 1st token)', 'TPOT', s.tpot),
    ...block('Inter-token Latency', 'ITL', s.itl),
    ...block('End-to-end Latency', 'E2EL', s.e2e),
    '='.repeat(W),
  );
  return lines.join('\n');
}
