/**
 * Everything computed from one run: latency distributions under each tool's definitions,
 * throughput, smoothness, gauge statistics, GC totals and spike attribution.
 */
import type { RequestTimeline } from './timeline.js';
import type { GaugeColumns } from './gauges.js';
import type { IntervalSnapshot } from './intervals.js';
import { summarize, type Summary } from './stats.js';
import {
  e2e,
  genaiPerfItl,
  llmperfItl,
  perRequest,
  queueTime,
  requestTokensPerSecond,
  runDuration,
  systemTokensPerSecond,
  totalOutputTokens,
  tpot,
  ttft,
  vllmItl,
} from './definitions.js';
import { smoothness, type SmoothnessResult } from './smoothness.js';
import { countSpikesByCause, findSpikes, type OutlierOptions, type Spike, type SpikeCauseKind } from './attribution.js';
import { v8GcKindName, type V8GcKind } from './v8gc.js';

/** The recorded data of one run. */
export interface RunData {
  timelines: readonly RequestTimeline[];
  gauges?: GaugeColumns;
  /** V8 collections (`value` = kind flag). */
  v8Gc?: IntervalSnapshot;
  /** KV-cache GC cycles (`value` = blocks freed). */
  kvGc?: IntervalSnapshot;
  /** Prefill chunks (`value` = tokens). */
  prefill?: IntervalSnapshot;
}

/** Options for {@link analyzeRun}. */
export interface SummaryOptions {
  /** Extra percentiles for every latency summary (P50/90/95/99 are always there). */
  percentiles?: readonly number[];
  /** Spike detection settings. */
  outliers?: OutlierOptions;
}

/** Per-step gauge statistics (each step counts once, whatever its length). */
export interface GaugeSummary {
  steps: number;
  kvUtilisation: Summary;
  /** Prefill queue depth. */
  waiting: Summary;
  running: Summary;
  stepTokens: Summary;
}

/** Summary of a run. Latencies in ms, rates per second. */
export interface MetricsSummary {
  requests: number;
  /** Requests per finish reason ('unfinished' for those still running). */
  finishReasons: Record<string, number>;
  outputTokens: number;
  /** Last finish − first arrival (ms). */
  durationMs: number;
  /** Requests per second over the run. */
  requestThroughput: number;
  /** All output tokens per second of run (vLLM's output token throughput). */
  systemTokensPerSec: number;
  ttft: Summary;
  /** vLLM's TPOT, one value per request with ≥ 2 tokens. */
  tpot: Summary;
  e2e: Summary;
  /** Admission − arrival, for requests whose admission was recorded. */
  queueTime: Summary;
  /** vLLM's ITL: every inter-chunk gap, pooled. */
  itl: Summary;
  /** GenAI-Perf's ITL: gap / tokens in the later chunk, pooled. */
  genaiPerfItl: Summary;
  /** LLMPerf's per-request mean ITL (TTFT included), one value per request. */
  llmperfItl: Summary;
  /** Tokens/E2E per request. */
  requestTokensPerSec: Summary;
  smoothness: SmoothnessResult;
  gauges: GaugeSummary | null;
  v8Gc: { count: number; totalMs: number; maxMs: number; byKind: Record<V8GcKind, number> };
  kvGc: { count: number; totalMs: number; maxMs: number };
  spikes: {
    count: number;
    /** Spikes per 1000 inter-chunk gaps. */
    perThousandGaps: number;
    byCause: Record<SpikeCauseKind, number>;
    maxGapMs: number;
  };
}

/** Summary and the attributed spikes of a run. */
export function analyzeRun(run: RunData, opts: SummaryOptions = {}): { summary: MetricsSummary; spikes: Spike[] } {
  const t = run.timelines;
  const so = { percentiles: opts.percentiles };
  const itl = vllmItl(t);
  const spikes = findSpikes(t, { v8Gc: run.v8Gc, kvGc: run.kvGc, prefill: run.prefill }, opts.outliers);
  const durationMs = runDuration(t);

  const finishReasons: Record<string, number> = {};
  for (const r of t) finishReasons[r.finishReason] = (finishReasons[r.finishReason] ?? 0) + 1;

  let maxGap = NaN;
  for (const s of spikes) if (!(s.gapMs <= maxGap)) maxGap = s.gapMs;

  const summary: MetricsSummary = {
    requests: t.length,
    finishReasons,
    outputTokens: totalOutputTokens(t),
    durationMs,
    requestThroughput: durationMs > 0 ? (t.length * 1000) / durationMs : NaN,
    systemTokensPerSec: systemTokensPerSecond(t),
    ttft: summarize(perRequest(t, ttft), so),
    tpot: summarize(perRequest(t, tpot), so),
    e2e: summarize(perRequest(t, e2e), so),
    queueTime: summarize(perRequest(t, queueTime), so),
    itl: summarize(itl, so),
    genaiPerfItl: summarize(genaiPerfItl(t), so),
    llmperfItl: summarize(perRequest(t, llmperfItl), so),
    requestTokensPerSec: summarize(perRequest(t, requestTokensPerSecond), so),
    smoothness: smoothness(t),
    gauges: run.gauges && run.gauges.length > 0 ? summarizeGauges(run.gauges) : null,
    v8Gc: summarizeV8Gc(run.v8Gc),
    kvGc: totals(run.kvGc),
    spikes: {
      count: spikes.length,
      perThousandGaps: itl.length > 0 ? (spikes.length * 1000) / itl.length : NaN,
      byCause: countSpikesByCause(spikes),
      maxGapMs: maxGap,
    },
  };
  return { summary, spikes };
}

/** {@link analyzeRun} without the spike list. */
export function summarizeRun(run: RunData, opts: SummaryOptions = {}): MetricsSummary {
  return analyzeRun(run, opts).summary;
}

function summarizeGauges(g: GaugeColumns): GaugeSummary {
  return {
    steps: g.length,
    kvUtilisation: summarize(g.kvUtilisation),
    waiting: summarize(g.waiting),
    running: summarize(g.running),
    stepTokens: summarize(g.stepTokens),
  };
}

function totals(s: IntervalSnapshot | undefined): { count: number; totalMs: number; maxMs: number } {
  let total = 0;
  const n = s ? s.length : 0;
  for (let i = 0; i < n; i++) total += s!.duration[i];
  return { count: n, totalMs: total, maxMs: n > 0 ? s!.maxDuration : 0 };
}

function summarizeV8Gc(s: IntervalSnapshot | undefined): MetricsSummary['v8Gc'] {
  const byKind: Record<V8GcKind, number> = { minor: 0, major: 0, incremental: 0, weakcb: 0, other: 0 };
  const n = s ? s.length : 0;
  for (let i = 0; i < n; i++) byKind[v8GcKindName(s!.value[i])]++;
  return { ...totals(s), byKind };
}
