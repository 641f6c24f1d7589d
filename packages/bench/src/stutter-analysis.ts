/**
 * What the GC-stutter experiment's data says: one summary row per run, the periodicity of
 * KV-GC spikes, the evidence that pauses were real cleanup work, and the conclusion, each
 * claim checked against the numbers rather than asserted.
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
  row: StutterRow;
  /** The run without its KV-GC pauses. */
  withoutKvGc: WithoutPauses;
  kvGcPeriodicity: Periodicity;
  /** Gap of every spike attributed to the KV GC (ms), to compare stalls across runs. */
  kvGcSpikeGapsMs: number[];
  work: GcWork;
  v8Gc: { count: number; maxMs: number };
  /** Blocks freed but still waiting for a scrub when the run ended. */
  blocksAwaitingScrub: number;
}

/** Inputs of {@link analyzeStutterRun}. */
export interface StutterRunData {
  name: string;
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
    row,
    withoutKvGc,
    kvGcPeriodicity: spikePeriodicity(d.collected.spikes, d.interval, 'kv-gc'),
    kvGcSpikeGapsMs: d.collected.spikes.filter((x) => x.primary === 'kv-gc').map((x) => x.gapMs),
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

/** One claim of the conclusion and whether the data supports it. */
export interface Finding {
  id: 'mean-tps' | 'periodic-spikes' | 'incremental-smooth' | 'same-reclaim' | 'v8-gc';
  claim: string;
  holds: boolean;
  evidence: string;
}

/** The experiment's conclusion. */
export interface StutterConclusion {
  findings: Finding[];
  /** One paragraph for humans. */
  summary: string;
}

/** Thresholds of the conclusion. */
export interface ConclusionOptions {
  interval: number;
  /** "Nearly equal" mean tokens/s: the GC pauses cost it at most this fraction. Default 0.15. */
  tpsTolerance?: number;
  /** "Same memory reclaimed": garbage handled within this fraction, incremental cleaning at least 1 − this of periodic's. Default 0.2. */
  reclaimTolerance?: number;
  /** Share of periodic kv-gc spikes that must sit on the interval grid. Default 0.8. */
  alignedFraction?: number;
}

const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–');
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const mib = (b: number): string => `${(b / 1024 ** 2).toFixed(0)} MiB`;

/** Checks the story against the runs: the claims that the runs present can test. */
export function concludeStutter(runs: readonly AnalyzedRun[], opts: ConclusionOptions): StutterConclusion {
  const N = opts.interval;
  const findings: Finding[] = [];
  const normal = runs.filter((r) => r.row.mode === 'normal');
  const find = (policy: GcPolicy, mode: StutterMode = 'normal'): AnalyzedRun | undefined =>
    runs.find((r) => r.row.policy === policy && r.row.mode === mode);
  const periodic = find('periodic');
  const incremental = find('incremental');

  // The average's blindness, measured inside the periodic run (else the one with the longest GC
  // pause): what its
  // pauses cost mean tokens/s against what they did to the tail. The spread across runs is
  // shown too, but it also carries the machine's drift between runs.
  const costly = periodic ?? [...normal].sort((a, b) => b.work.maxPauseMs - a.work.maxPauseMs)[0];
  if (costly && costly.work.cycles > 0) {
    const tol = opts.tpsTolerance ?? 0.15;
    const w = costly.withoutKvGc;
    const tps = normal.map((r) => r.row.mean_tps);
    const spread = (Math.max(...tps) - Math.min(...tps)) / Math.max(...tps);
    findings.push({
      id: 'mean-tps',
      claim: `mean tokens/s hardly sees the GC pauses (they cost it at most ${pct(tol)})`,
      holds: w.meanTpsCost <= tol,
      evidence:
        `${costly.name}'s GC pauses cost ${pct(w.meanTpsCost)} of mean TPS (${f1(costly.row.mean_tps)} vs ${f1(w.meanTps)} without them) ` +
        `while P99 ITL went from ${f1(w.itlP99Ms)} to ${f1(costly.row.itl_p99_ms)} ms and max from ${f1(w.itlMaxMs)} to ${f1(costly.row.itl_max_ms)} ms; ` +
        `across runs mean TPS ${normal.map((r) => `${r.name} ${f1(r.row.mean_tps)}`).join(', ')} (spread ${pct(spread)}, machine drift included)`,
    });
  }

  if (periodic) {
    const p = periodic.kvGcPeriodicity;
    const need = opts.alignedFraction ?? 0.8;
    const w = periodic.work;
    // Every stream decoding at a sweep meets it, so a stream stalls about once per N of its
    // tokens; sweeps that catch a stream between turns make the rate a little lower.
    const perSpike = p.spikes > 0 ? periodic.row.tokens / p.spikes : Infinity;
    const rateOk = perSpike >= 0.75 * N && perSpike <= 1.6 * N;
    const onGrid = p.checked === 0 || p.alignedFraction >= need;
    findings.push({
      id: 'periodic-spikes',
      claim: `periodic GC stalls the streams every ${N} tokens`,
      holds: p.spikes > 0 && rateOk && onGrid && w.verifiedBytesPerSweep + w.bytesScrubbed > 0,
      evidence:
        `${p.spikes} kv-gc spikes over ${periodic.row.tokens} tokens, one per ${f1(perSpike)} tokens of a stream; ` +
        (p.checked > 0 ? `within a reply ${p.aligned}/${p.checked} sit on the ${N}-token grid (± ${p.tolerance}), median spacing ${f1(p.medianSpacing)} tokens; ` : '') +
        `${w.sweeps} sweeps, median pause ${f1(w.medianPauseMs)} ms (max ${f1(w.maxPauseMs)}), each reading back ${mib(w.verifiedBytesPerSweep)} of free blocks`,
    });
  }

  if (periodic && incremental) {
    const P = periodic.row;
    const I = incremental.row;
    // A stall is a kv-gc spike at least half a sweep long: what a user notices. Smaller kv-gc
    // spikes in the incremental run are jitter that happened to overlap a slice (slices run
    // every step, so they overlap every gap).
    const stall = 0.5 * periodic.work.medianPauseMs;
    const stallsP = periodic.kvGcSpikeGapsMs.filter((g) => g >= stall).length;
    const stallsI = incremental.kvGcSpikeGapsMs.filter((g) => g >= stall).length;
    findings.push({
      id: 'incremental-smooth',
      claim: 'incremental GC is smooth: fewer GC stalls and a lower ITL tail than periodic',
      holds: stallsI < stallsP && I.itl_max_ms < P.itl_max_ms,
      evidence:
        `kv-gc stalls (≥ ${f1(stall)} ms) ${stallsI} vs ${stallsP} (kv-gc spikes ${I.spikes.kv_gc} vs ${P.spikes.kv_gc}); ` +
        `max ITL ${f1(I.itl_max_ms)} vs ${f1(P.itl_max_ms)} ms; P99 ITL ${f1(I.itl_p99_ms)} vs ${f1(P.itl_p99_ms)} ms; ` +
        `smoothness ${I.smoothness.toFixed(3)} vs ${P.smoothness.toFixed(3)}; GC pause P99 ${f1(I.gc_pause_p99_ms)} vs ${f1(P.gc_pause_p99_ms)} ms`,
    });
    // Periodic lags: what was freed after its last sweep is still queued when the run ends. The
    // claim is that incremental cleans at least as much, out of the same garbage.
    const a = I.reclaimed_blocks;
    const b = P.reclaimed_blocks;
    const garbageI = a + incremental.blocksAwaitingScrub;
    const garbageP = b + periodic.blocksAwaitingScrub;
    const tol = opts.reclaimTolerance ?? 0.2;
    const same = Math.max(garbageI, garbageP) > 0 && Math.abs(garbageI - garbageP) <= tol * Math.max(garbageI, garbageP);
    findings.push({
      id: 'same-reclaim',
      claim: 'incremental GC reclaims the same memory as periodic',
      holds: same && a >= (1 - tol) * b,
      evidence:
        `${a} vs ${b} blocks scrubbed and returned to the free list` +
        (Math.max(garbageI, garbageP) > 0 ? `, out of ${garbageI} vs ${garbageP} blocks freed` : ' (no garbage was produced)') +
        `; left awaiting a scrub at the end: ${incremental.blocksAwaitingScrub} vs ${periodic.blocksAwaitingScrub}`,
    });
  }

  const heavy = runs.find((r) => r.row.mode === 'alloc-heavy');
  if (heavy) {
    const plain = find(heavy.row.policy) ?? normal[0];
    const base = plain ? plain.row.spikes.v8_gc : 0;
    findings.push({
      id: 'v8-gc',
      claim: 'allocating per token makes V8 garbage collection a source of stutter',
      holds: heavy.row.spikes.v8_gc > base,
      evidence:
        `v8-gc spikes ${heavy.row.spikes.v8_gc} in ${heavy.name} vs ${base}${plain ? ` in ${plain.name}` : ''}; ` +
        `${heavy.v8Gc.count} V8 collections, longest ${f1(heavy.v8Gc.maxMs)} ms; max ITL ${f1(heavy.row.itl_max_ms)} ms`,
    });
  }

  return { findings, summary: summarize(findings, periodic, incremental, N) };
}

function summarize(findings: readonly Finding[], periodic: AnalyzedRun | undefined, incremental: AnalyzedRun | undefined, N: number): string {
  const held = (id: Finding['id']): boolean | undefined => findings.find((f) => f.id === id)?.holds;
  const parts: string[] = [];
  if (held('mean-tps') === true) parts.push('Mean tokens/s barely registered the GC pauses');
  else if (held('mean-tps') === false) parts.push('The GC pauses were large enough to move mean tokens/s too');
  if (periodic && held('periodic-spikes')) {
    parts.push(`yet periodic GC stalled every stream every ${N} tokens for ~${f1(periodic.work.medianPauseMs)} ms (P99 ITL ${f1(periodic.row.itl_p99_ms)} ms, max ${f1(periodic.row.itl_max_ms)} ms)`);
  }
  if (incremental && periodic && held('incremental-smooth')) {
    parts.push(`incremental GC did the cleanup in slices with max ITL ${f1(incremental.row.itl_max_ms)} ms${held('same-reclaim') ? ' and reclaimed the same blocks' : ''}`);
  }
  if (held('v8-gc')) parts.push('and per-token allocation brought V8 GC pauses back as stutter');
  if (parts.length === 0) return 'Too few runs to conclude anything.';
  const text = parts.join('; ');
  return `${text[0].toUpperCase()}${text.slice(1)}.`;
}
