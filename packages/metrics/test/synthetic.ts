/** Synthetic runs for tests: deterministic timelines, gauges and events. */
import { RequestRecorder, type RequestTimeline } from '../src/timeline.js';
import { GaugeRecorder, type GaugeColumns } from '../src/gauges.js';
import { analyzeRun } from '../src/summary.js';
import { intervalSnapshot } from '../src/intervals.js';
import type { ReportInput } from '../src/report/types.js';

/** Mulberry32: a small seeded PRNG so generated data is the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A timeline from an arrival time, a TTFT and the list of inter-token gaps. */
export function timelineFromGaps(id: string | number, arrival: number, ttftMs: number, gaps: readonly number[], finishDelay = 0): RequestTimeline {
  const times = new Float64Array(gaps.length + 1);
  times[0] = arrival + ttftMs;
  for (let i = 0; i < gaps.length; i++) times[i + 1] = times[i] + gaps[i];
  return {
    id,
    arrival,
    prefillStart: arrival,
    prefillEnd: times[0],
    tokenTimes: times,
    finish: times[times.length - 1] + finishDelay,
    finishReason: 'length',
  };
}

/** Options of {@link syntheticRun}. */
export interface SyntheticRunOptions {
  seed: number;
  requests: number;
  tokens: number;
  /** Mean inter-token gap (ms). */
  itlMs: number;
  /** Fraction of gaps that are stalls. */
  stallRate?: number;
  stallMs?: number;
  /** Arrivals every `interArrivalMs` ms. */
  interArrivalMs?: number;
}

/** A run of requests with jittered gaps and optional stalls, plus per-step gauges every `itlMs`. */
export function syntheticRun(o: SyntheticRunOptions): { timelines: RequestTimeline[]; gauges: GaugeColumns } {
  const rand = rng(o.seed);
  const timelines: RequestTimeline[] = [];
  let end = 0;
  for (let r = 0; r < o.requests; r++) {
    const arrival = 1000 + r * (o.interArrivalMs ?? 50);
    const rec = new RequestRecorder(`req-${r}`, arrival, o.tokens);
    const ttftMs = 80 + rand() * 120;
    rec.recordPrefill(arrival + 5, arrival + ttftMs - 2);
    let t = arrival + ttftMs;
    for (let k = 0; k < o.tokens; k++) {
      rec.recordTokens(t);
      const stall = o.stallRate !== undefined && rand() < o.stallRate;
      t += stall ? (o.stallMs ?? 100) : o.itlMs * (0.9 + 0.2 * rand());
    }
    rec.recordFinish(rec.lastTokenTime + 0.5, 'length');
    timelines.push(rec.toTimeline());
    end = Math.max(end, rec.lastTokenTime);
  }
  const g = new GaugeRecorder(16);
  const total = 512;
  for (let t = 1000, step = 0; t <= end; t += o.itlMs, step++) {
    let running = 0;
    let waiting = 0;
    for (const tl of timelines) {
      if (tl.arrival <= t && t < tl.tokenTimes[0]) waiting++;
      else if (tl.arrival <= t && tl.finish >= t) running++;
    }
    const used = Math.min(total, running * 40 + (step % 7));
    const cached = Math.min(total - used, 30);
    g.recordValues(t, used, cached, total - used - cached, waiting, running, running + (step % 5 === 0 ? 64 : 0));
  }
  return { timelines, gauges: g.columns() };
}

/**
 * A two-run report input: a steady run and a stuttering one whose stalls are partly
 * covered by KV-GC cycles and prefill chunks, with gauges for both.
 */
export function sampleReport(): ReportInput {
  const steady = syntheticRun({ seed: 1, requests: 12, tokens: 120, itlMs: 20, interArrivalMs: 120 });
  const stutter = syntheticRun({ seed: 2, requests: 12, tokens: 120, itlMs: 18, interArrivalMs: 120, stallRate: 0.02, stallMs: 110 });
  const kvStarts = [1600, 2400, 3100];
  const kvGcEvents = kvStarts.map((startTime) => ({ startTime, durationMs: 60, blocksFreed: 8 }));
  const runA = analyzeRun({ timelines: steady.timelines, gauges: steady.gauges });
  const runB = analyzeRun({
    timelines: stutter.timelines,
    gauges: stutter.gauges,
    kvGc: intervalSnapshot(kvStarts, [60, 60, 60], [8, 8, 8]),
    prefill: intervalSnapshot([1300, 2000], [90, 90], [512, 384]),
  });
  return {
    title: 'Latency lab <sample> & "quotes"',
    description: 'Synthetic runs: a steady decode and one that stalls.',
    meta: { model: 'synthetic', threads: 2 },
    runs: [
      { name: 'steady', summary: runA.summary, timeline: steady.timelines, gauges: steady.gauges, spikes: runA.spikes },
      { name: 'stutter', summary: runB.summary, timeline: stutter.timelines, gauges: stutter.gauges, spikes: runB.spikes, kvGcEvents },
    ],
  };
}
