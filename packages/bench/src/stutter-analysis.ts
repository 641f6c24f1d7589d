/**
 * What one run of the GC-stutter experiment measured: its summary row, the periodicity of
 * KV-GC spikes, the evidence that pauses were real cleanup work, and the run with its pauses
 * taken out. The conclusion over every run and repeat is in stutter-conclusion.ts.
 */
import type { GcPolicy, KVCacheStats } from '@legato/kvcache';
import { percentile, type CollectedRun, type Spike, type SpikeCauseKind } from '@legato/metrics';
import type { GcRecord } from './gc-log.js';

/** How tokens were decoded: plainly, or with per-token JS garbage that provokes V8 collections. */
export type StutterMode = 'normal' | 'alloc-heavy';

/** One run's summary, the shape `legato lab stutter --json` prints. Times in ms. */
export interface StutterRow {
  policy: GcPolicy;
  mode: StutterMode;
  /** Output tokens of the run. */
  tokens: number;
  /** Mean over requests of each stream's decode rate, 1000 / TPOT (tokens/s). */
  mean_tps: number;
  /** Median time to first token. */
  ttft_ms: number;
  itl_p50_ms: number;
  itl_p95_ms: number;
  itl_p99_ms: number;
  itl_max_ms: number;
  /** 1 / (1 + CV²) of each stream's gaps, gap-weighted over streams (1 = perfectly even). */
  smoothness: number;
  /** KV-cache GC cycles (eager frees, periodic sweeps, incremental slices). */
  gc_cycles: number;
  gc_pause_p99_ms: number;
  /** Blocks the KV GC scrubbed back onto the free stack (0 under 'off', which recycles freed blocks uncleaned). */
  reclaimed_blocks: number;
  /** ITL spikes by what overlapped them. */
  spikes: { v8_gc: number; kv_gc: number; prefill: number; unknown: number };
}

/** How regularly spikes of one cause recur within each stream. */
export interface Periodicity {
  /** Spikes of the cause that contain most of their pause. */
  spikes: number;
  /** Spikes compared with the first spike of their request. */
  checked: number;
  /** Of those, spikes whose distance to it is a multiple of the interval, ± tolerance. */
  aligned: number;
  /** aligned / checked (NaN when nothing could be checked). */
  alignedFraction: number;
  /** Median distance in tokens between consecutive spikes of a request. */
  medianSpacing: number;
  /** The ± tolerance used, in tokens. */
  tolerance: number;
}

/** The GC work behind the pauses. */
export interface GcWork {
  cycles: number;
  /** Cycles triggered by the interval or the watermark (periodic sweeps). */
  sweeps: number;
  medianPauseMs: number;
  maxPauseMs: number;
  blocksScrubbed: number;
  bytesScrubbed: number;
  blocksVerified: number;
  /** Median bytes a sweep read back to verify (0 without sweeps). */
  verifiedBytesPerSweep: number;
}

/**
 * The same run with the pauses of one kind taken out of the gaps they fell in: what the
 * streams would have measured without them, from within the run (no second run, so no
 * machine drift between the two).
 */
export interface WithoutPauses {
  meanTps: number;
  itlP99Ms: number;
  itlMaxMs: number;
  /** 1 − mean TPS / mean TPS without the pauses: what they cost the average. */
  meanTpsCost: number;
}

/** A run with everything the conclusion needs. */
export interface AnalyzedRun {
  name: string;
  /** Which repeat of its configuration this run was (0-based). */
  repeat: number;
  row: StutterRow;
  /** The run without its KV-GC pauses. */
  withoutKvGc: WithoutPauses;
  kvGcPeriodicity: Periodicity;
  /** Gap of every spike attributed to the KV GC (ms). */
  kvGcSpikeGapsMs: number[];
  /**
   * KV-GC pause time inside each of those gaps (ms): what the GC itself took of the gap. A gap
   * that holds a slice of GC work and a long stall of something else (a busy machine) shows a
   * small value here; a stall the GC caused, a large one.
   */
  kvGcSpikePausesMs: number[];
  work: GcWork;
  v8Gc: { count: number; maxMs: number };
  /** Blocks freed but still waiting for a scrub when the run ended. */
  blocksAwaitingScrub: number;
}

/** Inputs of {@link analyzeStutterRun}. */
export interface StutterRunData {
  name: string;
  /** Which repeat of its configuration (0-based). Default 0. */
  repeat?: number;
  policy: GcPolicy;
  mode: StutterMode;
  interval: number;
  collected: CollectedRun;
  gc: readonly GcRecord[];
  kvStats: KVCacheStats;
}

const round = (x: number, digits = 3): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

/** The row and the evidence for one run. */
export function analyzeStutterRun(d: StutterRunData): AnalyzedRun {
  const s = d.collected.summary;
  const pauses = d.gc.map((g) => g.durationMs);
  const byCause = s.spikes.byCause;
  const row: StutterRow = {
    policy: d.policy,
    mode: d.mode,
    tokens: s.outputTokens,
    mean_tps: round(meanStreamRate(d.collected)),
    ttft_ms: round(s.ttft.p50),
    itl_p50_ms: round(s.itl.p50),
    itl_p95_ms: round(s.itl.p95),
    itl_p99_ms: round(s.itl.p99),
    itl_max_ms: round(s.itl.max),
    smoothness: round(s.smoothness.score, 4),
    gc_cycles: d.gc.length,
    gc_pause_p99_ms: pauses.length > 0 ? round(percentile(pauses, 99)) : 0,
    reclaimed_blocks: d.kvStats.gc.blocksScrubbed,
    spikes: { v8_gc: byCause['v8-gc'], kv_gc: byCause['kv-gc'], prefill: byCause.prefill, unknown: byCause.unknown },
  };
  const sweeps = d.gc.filter((g) => g.reason === 'interval' || g.reason === 'watermark');
  let scrubbed = 0;
  let bytes = 0;
  let verified = 0;
  for (const g of d.gc) {
    scrubbed += g.blocksScrubbed;
    bytes += g.bytesScrubbed;
    verified += g.blocksVerified;
  }
  const bpb = d.kvStats.bytesPerBlock;
  const withoutKvGc = withoutPauses(d.collected.timeline, d.gc);
  withoutKvGc.meanTpsCost = 1 - row.mean_tps / withoutKvGc.meanTps;
  return {
    name: d.name,
    repeat: d.repeat ?? 0,
    row,
    withoutKvGc,
    kvGcPeriodicity: spikePeriodicity(d.collected.spikes, d.interval, 'kv-gc'),
    kvGcSpikeGapsMs: d.collected.spikes.filter((x) => x.primary === 'kv-gc').map((x) => x.gapMs),
    kvGcSpikePausesMs: d.collected.spikes
      .filter((x) => x.primary === 'kv-gc')
      .map((x) => x.causes.reduce((a, c) => (c.kind === 'kv-gc' ? a + c.overlapMs : a), 0)),
    work: {
      cycles: d.gc.length,
      sweeps: sweeps.length,
      medianPauseMs: pauses.length > 0 ? percentile(pauses, 50) : 0,
      maxPauseMs: pauses.length > 0 ? Math.max(...pauses) : 0,
      blocksScrubbed: scrubbed,
      bytesScrubbed: bytes,
      blocksVerified: verified,
      verifiedBytesPerSweep: sweeps.length > 0 ? percentile(sweeps.map((g) => g.blocksVerified * bpb), 50) : 0,
    },
    v8Gc: { count: s.v8Gc.count, maxMs: s.v8Gc.maxMs },
    blocksAwaitingScrub: d.kvStats.blocksAwaitingScrub,
  };
}

/**
 * Recomputes mean TPS and the ITL tail with every pause in `pauses` (sorted by start) removed
 * from the gaps it overlaps.
 */
export function withoutPauses(timelines: CollectedRun['timeline'], pauses: readonly { startTime: number; durationMs: number }[]): WithoutPauses {
  const gaps: number[] = [];
  let rateSum = 0;
  let rates = 0;
  for (const t of timelines) {
    const times = t.tokenTimes;
    let span = 0;
    for (let i = 1; i < times.length; i++) {
      const g = times[i] - times[i - 1] - overlap(pauses, times[i - 1], times[i]);
      gaps.push(g);
      span += g;
    }
    if (times.length > 1 && span > 0) {
      rateSum += ((times.length - 1) * 1000) / span;
      rates++;
    }
  }
  return {
    meanTps: rates > 0 ? rateSum / rates : NaN,
    itlP99Ms: gaps.length > 0 ? percentile(gaps, 99) : NaN,
    itlMaxMs: gaps.length > 0 ? Math.max(...gaps) : NaN,
    meanTpsCost: NaN,
  };
}

/** Total time of `pauses` (sorted by start) inside (a, b]. */
function overlap(pauses: readonly { startTime: number; durationMs: number }[], a: number, b: number): number {
  let lo = 0;
  let hi = pauses.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pauses[mid].startTime + pauses[mid].durationMs <= a) lo = mid + 1;
    else hi = mid;
  }
  let sum = 0;
  for (let k = lo; k < pauses.length && pauses[k].startTime < b; k++) {
    const p = pauses[k];
    sum += Math.max(0, Math.min(b, p.startTime + p.durationMs) - Math.max(a, p.startTime));
  }
  return sum;
}

/** Mean over requests of (tokens − 1) / (last − first token time), per second. */
export function meanStreamRate(run: Pick<CollectedRun, 'timeline'>): number {
  let sum = 0;
  let n = 0;
  for (const t of run.timeline) {
    const k = t.tokenTimes.length;
    if (k < 2) continue;
    const span = t.tokenTimes[k - 1] - t.tokenTimes[0];
    if (span <= 0) continue;
    sum += ((k - 1) * 1000) / span;
    n++;
  }
  return n > 0 ? sum / n : NaN;
}

/**
 * How regularly spikes of `cause` recur within each request. The engine sweeps every `interval`
 * steps and a decoding request gets one token per step, so within a reply the sweeps land
 * exactly `interval` tokens apart. Each request has its own phase (it started at its own step),
 * so distances are measured from the request's first spike.
 *
 * A pause runs on the decoding thread, so it lies inside one gap of each stream; a spike much
 * shorter than the pause it overlaps only touches the pause's edge (jitter next to it, clock
 * skew) and is not counted here.
 */
export function spikePeriodicity(spikes: readonly Spike[], interval: number, cause: SpikeCauseKind = 'kv-gc'): Periodicity {
  const tolerance = Math.max(1, Math.round(interval * 0.1));
  const byRequest = new Map<string | number, number[]>();
  let total = 0;
  for (const s of spikes) {
    if (!containsPause(s, cause)) continue;
    total++;
    const list = byRequest.get(s.requestId);
    if (list) list.push(s.tokenIndex);
    else byRequest.set(s.requestId, [s.tokenIndex]);
  }
  let checked = 0;
  let aligned = 0;
  const spacings: number[] = [];
  for (const idx of byRequest.values()) {
    idx.sort((a, b) => a - b);
    for (let i = 1; i < idx.length; i++) {
      spacings.push(idx[i] - idx[i - 1]);
      const off = (idx[i] - idx[0]) % interval;
      checked++;
      if (Math.min(off, interval - off) <= tolerance) aligned++;
    }
  }
  return {
    spikes: total,
    checked,
    aligned,
    alignedFraction: checked > 0 ? aligned / checked : NaN,
    medianSpacing: spacings.length > 0 ? percentile(spacings, 50) : NaN,
    tolerance,
  };
}

/** Whether the spike is attributed to `cause` and is at least half as long as that pause. */
export function containsPause(s: Spike, cause: SpikeCauseKind): boolean {
  if (s.primary !== cause) return false;
  const c = s.causes.find((x) => x.kind === cause);
  return c === undefined || s.gapMs >= 0.5 * c.durationMs;
}

