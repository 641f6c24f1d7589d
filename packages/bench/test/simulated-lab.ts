/**
 * Lab runs simulated in virtual time, for testing the conclusion without a machine's noise (or
 * with noise of a known size): S streams decode one token per engine step; periodic GC adds a
 * sweep every N steps, incremental a slice every step, the allocation-heavy mode V8 collections;
 * "machine noise" adds random stalls and a per-run slowdown. The timelines then go through the
 * real metrics analysis (spike detection and attribution) and the lab's per-run analysis.
 */
import type { GcPolicy, KVCacheStats } from '@legato/kvcache';
import { analyzeRun, intervalSnapshot, type CollectedRun, type RequestTimeline } from '@legato/metrics';
import { analyzeStutterRun, type AnalyzedRun, type GcRecord, type StutterMode } from '../src/index.js';

/** Mulberry32: a small seeded PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A busy machine: random stalls, and each run slower or faster by up to ± `drift`. */
export interface MachineNoise {
  /** Probability that a step stalls. */
  stallRate: number;
  /** Longest stall (ms); each is uniform in [0.3, 1] × this. */
  stallMs: number;
  /** Per-run speed drift, e.g. 0.3 = each run's steps are 0.7×–1.3× as long. */
  drift: number;
}

/** One simulated run. */
export interface SimulatedRunOptions {
  name: string;
  policy: GcPolicy;
  mode?: StutterMode;
  repeat?: number;
  seed?: number;
  /** GC interval in steps. Default 50. */
  interval?: number;
  /** Streams decoding at once. Default 3. */
  streams?: number;
  /** Tokens per stream. Default 150. */
  tokens?: number;
  /** Step time (ms). Default 40. */
  stepMs?: number;
  /** A periodic sweep's pause (ms); incremental spreads it over the interval. Default 100. */
  pauseMs?: number;
  noise?: MachineNoise;
}

const BLOCKS = 1000;
const BYTES_PER_BLOCK = 32 * 1024;

/** Simulates one run and analyzes it as the lab does. */
export function simulateRun(o: SimulatedRunOptions): AnalyzedRun {
  const interval = o.interval ?? 50;
  const streams = o.streams ?? 3;
  const tokens = o.tokens ?? 150;
  const mode = o.mode ?? 'normal';
  const pauseMs = o.pauseMs ?? 100;
  const rand = rng((o.seed ?? 1) * 7919 + (o.repeat ?? 0) * 104729 + o.name.length);
  const drift = o.noise ? 1 + o.noise.drift * (2 * rand() - 1) : 1;
  const stepMs = (o.stepMs ?? 40) * drift;

  const times: number[] = [];
  const gc: GcRecord[] = [];
  const v8Start: number[] = [];
  const v8Dur: number[] = [];
  let t = 1000;
  for (let step = 1; step <= tokens; step++) {
    t += stepMs * (0.97 + 0.06 * rand());
    if (mode === 'alloc-heavy' && step % 9 === 0) {
      const d = 50 + 40 * rand();
      v8Start.push(t);
      v8Dur.push(d);
      t += d;
    }
    if (o.noise && rand() < o.noise.stallRate) t += o.noise.stallMs * (0.3 + 0.7 * rand());
    times.push(t); // the step's tokens
    // The GC runs at the end of the step, after its tokens.
    if (o.policy === 'periodic' && step % interval === 0) {
      gc.push(record(o.policy, 'interval', t, pauseMs * (0.95 + 0.1 * rand()), step, BLOCKS, 6));
      t += gc[gc.length - 1].durationMs;
    } else if (o.policy === 'incremental') {
      gc.push(record(o.policy, 'slice', t, pauseMs / interval, step, Math.ceil(BLOCKS / interval), step % interval === 0 ? 6 : 0));
      t += pauseMs / interval;
    }
  }
  const timelines: RequestTimeline[] = [];
  for (let s = 0; s < streams; s++) {
    timelines.push({
      id: s + 1,
      arrival: 900,
      prefillStart: 900,
      prefillEnd: times[0],
      tokenTimes: Float64Array.from(times),
      finish: times[times.length - 1],
      finishReason: 'length',
    });
  }
  const run = {
    timelines,
    v8Gc: intervalSnapshot(v8Start, v8Dur, v8Start.map(() => 1)),
    kvGc: intervalSnapshot(gc.map((g) => g.startTime), gc.map((g) => g.durationMs), gc.map((g) => g.blocksScrubbed)),
  };
  const { summary, spikes } = analyzeRun(run);
  const collected = { summary, spikes, timeline: timelines, kvGcEvents: [], v8GcEvents: [] } as unknown as CollectedRun;
  const scrubbed = gc.reduce((a, g) => a + g.blocksScrubbed, 0);
  const kvStats = { bytesPerBlock: BYTES_PER_BLOCK, blocksAwaitingScrub: o.policy === 'off' ? 0 : 0, gc: { blocksScrubbed: scrubbed } } as unknown as KVCacheStats;
  return analyzeStutterRun({ name: o.name, repeat: o.repeat ?? 0, policy: o.policy, mode, interval, collected, gc, kvStats });
}

function record(policy: GcPolicy, reason: GcRecord['reason'], startTime: number, durationMs: number, step: number, verified: number, scrubbed: number): GcRecord {
  return { policy, reason, startTime, durationMs, step, blocksEvicted: 0, blocksScrubbed: scrubbed, bytesScrubbed: scrubbed * BYTES_PER_BLOCK, blocksVerified: verified };
}

/** The quick lab's four configurations, `repeats` times, interleaved. */
export function simulateLab(repeats: number, opts: Partial<SimulatedRunOptions> = {}): AnalyzedRun[] {
  const configs: { name: string; policy: GcPolicy; mode: StutterMode }[] = [
    { name: 'off', policy: 'off', mode: 'normal' },
    { name: 'periodic:50', policy: 'periodic', mode: 'normal' },
    { name: 'incremental', policy: 'incremental', mode: 'normal' },
    { name: 'off+alloc', policy: 'off', mode: 'alloc-heavy' },
  ];
  const runs: AnalyzedRun[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) for (const c of configs) runs.push(simulateRun({ ...opts, ...c, repeat }));
  return runs;
}
