/**
 * The server's Prometheus metrics (prom-client), fed by the engine's observer hooks.
 *
 * vLLM's metrics with vLLM's semantics and bucket boundaries (vllm/v1/metrics/loggers.py), under
 * `legato:` instead of `vllm:`, so dashboards and recording rules written for vLLM work with a
 * prefix change: TTFT and inter-token latency observed as tokens are emitted; end-to-end, queue
 * (arrival → scheduled), prefill (scheduled → first token), decode (first → last token) and
 * inference (scheduled → last token) per finished request; running/waiting requests and KV usage
 * after every step; prefix-cache queries and hits in tokens; preemptions; prompt and generation
 * token counters.
 *
 * Plus what only Legato measures: KV-cache GC pauses and reclaimed blocks by policy, V8 GC pauses
 * by kind, and every inter-token-latency spike labelled with its cause (V8 GC, KV GC, prefill
 * interference, unknown) by the metrics package's attribution, run per request when it finishes.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineObserver, EngineStepGauges, InferenceEngine } from '@legato/core';
import type { GcEvent } from '@legato/kvcache';
import { findSpikes, IntervalLog, RequestRecorder, smoothnessOfGaps, V8GcRecorder, v8GcKindName, type Spike } from '@legato/metrics';

/** vLLM's TTFT buckets (s). */
export const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0];
/** vLLM's inter-token latency / time-per-output-token buckets (s). */
export const ITL_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0];
/** vLLM's request latency buckets (s): e2e, queue, prefill, decode, inference. */
export const REQUEST_LATENCY_BUCKETS = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0];
/** vLLM's tokens-per-step buckets. */
export const ITERATION_TOKEN_BUCKETS = [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];
/** GC pauses are sub-millisecond to tens of ms: finer buckets than any request latency (s). */
export const GC_PAUSE_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

/**
 * A gap counts as a spike only above this (ms) as well as above 2× its stream's running median:
 * sub-10 ms wobbles of a tiny model's 1 ms gaps are doubling noise nobody sees.
 */
export const SPIKE_MIN_GAP_MS = 10;

/** vLLM's build_1_2_5_buckets: 1, 2, 5, 10, 20, 50, … up to `max`. */
export function buckets125(max: number): number[] {
  const out: number[] = [];
  for (let e = 1; ; e *= 10) {
    for (const m of [1, 2, 5]) {
      if (m * e > max) return out;
      out.push(m * e);
    }
  }
}

/** What the dashboard hears about a finished request. */
export interface FinishedRequest {
  id: number;
  finishReason: string;
  promptTokens: number;
  outputTokens: number;
  /** ms; NaN when no token was emitted. */
  ttftMs: number;
  /** Gaps between consecutive tokens (ms), in output order. */
  itlMs: Float64Array;
  /** 1 / (1 + CV²) of the gaps; NaN with fewer than two gaps. */
  smoothness: number;
  spikes: Spike[];
}

/** Listener of {@link ServerMetrics}; the step gauges object is reused, copy what you keep. */
export interface MetricsListener {
  onStep?(g: Readonly<EngineStepGauges>): void;
  onRequestFinished?(r: FinishedRequest): void;
  onKvGc?(e: Readonly<GcEvent>): void;
}

interface LiveRequest {
  rec: RequestRecorder;
  promptTokens: number;
  admission: number;
  last: number;
}

/** Finish reasons as vLLM labels them. */
function vllmReason(reason: string): string {
  if (reason === 'eos' || reason === 'stop') return 'stop';
  if (reason === 'length' || reason === 'context') return 'length';
  return reason; // abort, error
}

const MODEL_LABEL = ['model_name'] as const;

/** Prometheus metrics of one server; `observer` goes to the engine, `attach` gives it the engine. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly observer: EngineObserver;
  private readonly live = new Map<number, LiveRequest>();
  private readonly listeners: MetricsListener[] = [];
  private engine: InferenceEngine | undefined;
  private readonly v8Gc = new V8GcRecorder(2048);
  private readonly kvGcLog = new IntervalLog(2048, { overwrite: true });
  private readonly prefillLog = new IntervalLog(4096, { overwrite: true });
  private gcObserver: PerformanceObserver | undefined;
  private lastPrefix = { queries: 0, hits: 0 };
  private prefixHitRate = 0;

  private readonly ttft;
  private readonly itl;
  private readonly tpot;
  private readonly e2e;
  private readonly queue;
  private readonly prefill;
  private readonly decode;
  private readonly inference;
  private readonly promptTokensHist;
  private readonly generationTokensHist;
  private readonly iterationTokens;
  private readonly running;
  private readonly waiting;
  private readonly kvUsage;
  private readonly promptTokens;
  private readonly generationTokens;
  private readonly preemptions;
  private readonly prefixQueries;
  private readonly prefixHits;
  private readonly success;
  private readonly kvGcPause;
  private readonly kvGcReclaimed;
  private readonly kvGcEvicted;
  private readonly v8GcPause;
  private readonly spikes;

  constructor(readonly modelName: string, contextSize: number) {
    const r = [this.registry];
    const m = { model_name: modelName };
    // Every series exists from the start (at zero), so a scrape before the first request parses
    // the same families and rates never start from a missing series.
    const hist = (name: string, help: string, buckets: number[]) => {
      const h = new Histogram({ name, help, buckets, labelNames: MODEL_LABEL, registers: r });
      h.zero(m);
      return h.labels(m);
    };
    const counter = (name: string, help: string) => {
      const c = new Counter({ name, help, labelNames: MODEL_LABEL, registers: r }).labels(m);
      c.inc(0);
      return c;
    };
    const gauge = (name: string, help: string) => {
      const g = new Gauge({ name, help, labelNames: MODEL_LABEL, registers: r }).labels(m);
      g.set(0);
      return g;
    };

    this.ttft = hist('legato:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', TTFT_BUCKETS);
    this.itl = hist('legato:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', ITL_BUCKETS);
    this.tpot = hist('legato:request_time_per_output_token_seconds', 'Histogram of time_per_output_token_seconds per request.', ITL_BUCKETS);
    this.e2e = hist('legato:e2e_request_latency_seconds', 'Histogram of e2e request latency in seconds.', REQUEST_LATENCY_BUCKETS);
    this.queue = hist('legato:request_queue_time_seconds', 'Histogram of time spent in WAITING phase for request.', REQUEST_LATENCY_BUCKETS);
    this.prefill = hist('legato:request_prefill_time_seconds', 'Histogram of time spent in PREFILL phase for request.', REQUEST_LATENCY_BUCKETS);
    this.decode = hist('legato:request_decode_time_seconds', 'Histogram of time spent in DECODE phase for request.', REQUEST_LATENCY_BUCKETS);
    this.inference = hist('legato:request_inference_time_seconds', 'Histogram of time spent in RUNNING phase for request.', REQUEST_LATENCY_BUCKETS);
    const tokenBuckets = buckets125(contextSize);
    this.promptTokensHist = hist('legato:request_prompt_tokens', 'Number of prefill tokens processed.', tokenBuckets);
    this.generationTokensHist = hist('legato:request_generation_tokens', 'Number of generation tokens processed.', tokenBuckets);
    this.iterationTokens = hist('legato:iteration_tokens_total', 'Histogram of number of tokens per engine_step.', ITERATION_TOKEN_BUCKETS);
    this.running = gauge('legato:num_requests_running', 'Number of requests in model execution batches.');
    this.waiting = gauge('legato:num_requests_waiting', 'Number of requests waiting to be processed.');
    this.kvUsage = gauge('legato:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.');
    this.promptTokens = counter('legato:prompt_tokens_total', 'Number of prefill tokens processed.');
    this.generationTokens = counter('legato:generation_tokens_total', 'Number of generation tokens processed.');
    this.preemptions = counter('legato:num_preemptions_total', 'Cumulative number of preemption from the engine.');
    // Prefix-cache counters advance by what the pool counted since the last scrape; the first one
    // collected moves both.
    const self = this;
    this.prefixQueries = new Counter({
      name: 'legato:prefix_cache_queries_total',
      help: 'Prefix cache queries, in terms of number of queried tokens.',
      labelNames: MODEL_LABEL,
      registers: r,
      collect: () => self.syncPrefix(),
    }).labels(m);
    this.prefixHits = counter('legato:prefix_cache_hits_total', 'Prefix cache hits, in terms of number of cached tokens.');
    this.prefixQueries.inc(0);
    this.prefixHits.inc(0);
    this.success = new Counter({ name: 'legato:request_success_total', help: 'Count of successfully processed requests.', labelNames: ['model_name', 'finished_reason'], registers: r });

    this.kvGcPause = new Histogram({ name: 'legato:kv_gc_pause_seconds', help: 'KV-cache garbage-collection cycle pauses in seconds, by policy.', buckets: GC_PAUSE_BUCKETS, labelNames: ['model_name', 'policy'], registers: r });
    this.kvGcReclaimed = new Counter({ name: 'legato:kv_gc_reclaimed_blocks_total', help: 'KV blocks scrubbed and returned to the free stack by GC cycles, by policy.', labelNames: ['model_name', 'policy'], registers: r });
    this.kvGcEvicted = new Counter({ name: 'legato:kv_gc_evicted_blocks_total', help: 'Cached KV blocks evicted by GC cycles, by policy.', labelNames: ['model_name', 'policy'], registers: r });
    this.v8GcPause = new Histogram({ name: 'legato:v8_gc_pause_seconds', help: 'V8 garbage-collection pauses in seconds, by kind.', buckets: GC_PAUSE_BUCKETS, labelNames: ['kind'], registers: r });
    this.spikes = new Counter({ name: 'legato:itl_spikes_total', help: 'Inter-token latency spikes (gap > 2x the stream\'s running median and > 10 ms), by attributed cause.', labelNames: ['model_name', 'cause'], registers: r });
    for (const cause of ['v8-gc', 'kv-gc', 'prefill', 'unknown']) this.spikes.labels(modelName, cause).inc(0);
    for (const reason of ['stop', 'length', 'abort']) this.success.labels(modelName, reason).inc(0);
    for (const kind of ['minor', 'major', 'incremental', 'weakcb']) this.v8GcPause.zero({ kind });

    new Gauge({
      name: 'legato:cache_config_info',
      help: 'Information of the KV cache configuration.',
      labelNames: ['block_size', 'num_blocks', 'gc_policy', 'enable_prefix_caching'],
      registers: r,
    });

    new Gauge({
      name: 'legato:prefix_cache_hit_rate',
      help: 'Prefix-cache hit rate in tokens since start (hits / queries).',
      labelNames: MODEL_LABEL,
      registers: r,
      collect() {
        this.labels(m).set(self.prefixHitRate);
      },
    });

    this.observer = {
      onRequestArrival: (id, time, promptTokens) => this.arrival(id, time, promptTokens),
      onAdmission: (id, time) => {
        const q = this.live.get(id);
        if (q && Number.isNaN(q.admission)) {
          q.admission = time;
          q.rec.admission = time;
        }
      },
      onPrefill: (start, end, tokens) => this.prefillLog.record(start, end - start, tokens),
      onToken: (id, time, tokens) => this.token(id, time, tokens),
      onFinish: (id, time, reason) => this.finish(id, time, reason),
      onStep: (g) => this.step(g),
      onKvGc: (e) => this.kvGc(e),
    };
  }

  /** Gives the metrics the engine whose pool they read (prefix-cache tallies, cache config). */
  attach(engine: InferenceEngine): void {
    this.engine = engine;
    const s = engine.kvStats();
    this.lastPrefix = { queries: s.prefix.queryTokens, hits: s.prefix.hitTokens };
    const info = this.registry.getSingleMetric('legato:cache_config_info') as Gauge | undefined;
    info?.labels(String(s.blockSize), String(s.blocksTotal), s.gc.policy, String(s.prefix.enabled)).set(1);
    this.kvGcPause.zero({ model_name: this.modelName, policy: s.gc.policy });
    this.kvGcReclaimed.labels(this.modelName, s.gc.policy).inc(0);
    this.kvGcEvicted.labels(this.modelName, s.gc.policy).inc(0);
  }

  /** Starts observing V8 collections (idempotent). */
  start(): void {
    if (this.gcObserver) return;
    this.gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind = (e as { detail?: { kind?: number } }).detail?.kind ?? 0;
        this.v8Gc.record(e.startTime, e.duration, kind);
        this.v8GcPause.labels(v8GcKindName(kind)).observe(e.duration / 1000);
      }
    });
    this.gcObserver.observe({ entryTypes: ['gc'] });
  }

  /** Stops observing V8 collections. */
  stop(): void {
    this.gcObserver?.disconnect();
    this.gcObserver = undefined;
  }

  /** Adds a listener (the dashboard); returns its remover. */
  subscribe(l: MetricsListener): () => void {
    this.listeners.push(l);
    return () => {
      const i = this.listeners.indexOf(l);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Counts what only the request's result knows: preemptions. */
  onResult(r: { preemptions?: number }): void {
    if (r.preemptions) this.preemptions.inc(r.preemptions);
  }

  /** The Prometheus text exposition. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Moves the pool's prefix-cache token tallies since the last scrape into the counters. */
  private syncPrefix(): void {
    if (!this.engine) return;
    const p = this.engine.kvStats().prefix;
    const dq = p.queryTokens - this.lastPrefix.queries;
    const dh = p.hitTokens - this.lastPrefix.hits;
    if (dq > 0) this.prefixQueries.inc(dq);
    if (dh > 0) this.prefixHits.inc(dh);
    this.lastPrefix = { queries: p.queryTokens, hits: p.hitTokens };
    this.prefixHitRate = p.hitRate;
  }

  private arrival(id: number, time: number, promptTokens: number): void {
    this.live.set(id, { rec: new RequestRecorder(id, time, 64, promptTokens), promptTokens, admission: NaN, last: NaN });
  }

  private token(id: number, time: number, tokens: number): void {
    const q = this.live.get(id);
    if (!q) return;
    if (q.rec.tokenCount === 0) {
      this.ttft.observe((time - q.rec.arrival) / 1000);
      this.promptTokens.inc(q.promptTokens);
    } else {
      const gap = (time - q.last) / 1000;
      for (let k = 0; k < tokens; k++) this.itl.observe(k === 0 ? gap : 0);
    }
    q.rec.recordTokens(time, tokens);
    q.last = time;
    this.generationTokens.inc(tokens);
  }

  private finish(id: number, time: number, reason: string): void {
    const q = this.live.get(id);
    if (!q) return;
    this.live.delete(id);
    q.rec.recordFinish(time, reason);
    const n = q.rec.tokenCount;
    const arrival = q.rec.arrival;
    const scheduled = Number.isNaN(q.admission) ? arrival : q.admission;
    const timeline = q.rec.toTimeline();
    const times = timeline.tokenTimes;
    const first = n > 0 ? times[0] : time;
    const last = n > 0 ? times[n - 1] : time;
    this.success.labels(this.modelName, vllmReason(reason)).inc();
    this.e2e.observe((time - arrival) / 1000);
    this.queue.observe((scheduled - arrival) / 1000);
    if (n > 0) {
      this.prefill.observe((first - scheduled) / 1000);
      this.decode.observe((last - first) / 1000);
      this.inference.observe((last - scheduled) / 1000);
      if (n > 1) this.tpot.observe((last - first) / (n - 1) / 1000);
    }
    this.promptTokensHist.observe(q.promptTokens);
    this.generationTokensHist.observe(n);
    // V8 reports a collection after it ends, on a later macrotask: attribute once those arrived.
    setTimeout(() => this.attribute(q, timeline), 0).unref();
  }

  private attribute(q: LiveRequest, timeline: ReturnType<RequestRecorder['toTimeline']>): void {
    const spikes = findSpikes([timeline], { v8Gc: this.v8Gc.snapshot(), kvGc: this.kvGcLog.snapshot(), prefill: this.prefillLog.snapshot() }, { minGapMs: SPIKE_MIN_GAP_MS });
    for (const s of spikes) this.spikes.labels(this.modelName, s.primary).inc();
    if (this.listeners.length === 0) return;
    const times = timeline.tokenTimes;
    const itl = new Float64Array(Math.max(0, times.length - 1));
    for (let i = 1; i < times.length; i++) itl[i - 1] = times[i] - times[i - 1];
    const done: FinishedRequest = {
      id: Number(timeline.id),
      finishReason: timeline.finishReason,
      promptTokens: q.promptTokens,
      outputTokens: times.length,
      ttftMs: times.length > 0 ? times[0] - timeline.arrival : NaN,
      itlMs: itl,
      smoothness: smoothnessOfGaps(itl),
      spikes,
    };
    for (const l of this.listeners) l.onRequestFinished?.(done);
  }

  private step(g: EngineStepGauges): void {
    this.running.set(g.running);
    this.waiting.set(g.waiting);
    this.kvUsage.set(g.kvUtilisation);
    if (g.stepTokens > 0) this.iterationTokens.observe(g.stepTokens);
    for (const l of this.listeners) l.onStep?.(g);
  }

  private kvGc(e: GcEvent): void {
    this.kvGcPause.labels(this.modelName, e.policy).observe(e.durationMs / 1000);
    this.kvGcReclaimed.labels(this.modelName, e.policy).inc(e.blocksScrubbed);
    if (e.blocksEvicted > 0) this.kvGcEvicted.labels(this.modelName, e.policy).inc(e.blocksEvicted);
    this.kvGcLog.record(e.startTime, e.durationMs, e.blocksScrubbed);
    for (const l of this.listeners) l.onKvGc?.(e);
  }
}
