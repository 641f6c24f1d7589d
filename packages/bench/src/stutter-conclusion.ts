/**
 * The GC-stutter experiment's conclusion: each claim of the story checked against every repeat
 * of every run. A claim holds (✓) or fails (✗) only when the repeats agree and the effect is
 * larger than the spread across repeats; otherwise the machine was too noisy to tell, and the
 * conclusion says so instead of guessing.
 */
import type { GcPolicy } from '@legato/kvcache';
import type { AnalyzedRun, StutterMode } from './stutter-analysis.js';

/** What the data says about one claim. */
export type Verdict = 'holds' | 'fails' | 'too-noisy';

/** Min, median and max of one metric over the repeats of a configuration. */
export interface Spread {
  n: number;
  min: number;
  median: number;
  max: number;
}

/** One configuration's spread over its repeats. */
export interface ConfigSpread {
  name: string;
  policy: GcPolicy;
  mode: StutterMode;
  repeats: number;
  meanTps: Spread;
  itlP99Ms: Spread;
  itlMaxMs: Spread;
}

/** One claim of the conclusion and what the data says about it. */
export interface Finding {
  id: 'mean-tps' | 'periodic-spikes' | 'incremental-smooth' | 'same-reclaim' | 'v8-gc';
  claim: string;
  verdict: Verdict;
  /** verdict === 'holds'. */
  holds: boolean;
  evidence: string;
}

/** The experiment's conclusion. */
export interface StutterConclusion {
  findings: Finding[];
  /** Every configuration's spread over its repeats, in run order. */
  spreads: ConfigSpread[];
  /** Repeats per configuration (the fewest, if they differ). */
  repeats: number;
  /** One line: how many claims hold, fail, or could not be decided on this machine. */
  summary: string;
}

/** Thresholds of the conclusion. */
export interface ConclusionOptions {
  interval: number;
  /** "Barely moves": the GC pauses cost mean tokens/s at most this fraction. Default 0.15. */
  tpsTolerance?: number;
  /** "Explodes": periodic GC's P99 ITL is at least this many times the baseline's. Default 2. */
  p99Ratio?: number;
  /** "Same memory reclaimed": garbage handled within this fraction, incremental cleaning at least 1 − this of periodic's. Default 0.2. */
  reclaimTolerance?: number;
  /** Share of periodic kv-gc spikes that must sit on the interval grid. Default 0.8. */
  alignedFraction?: number;
}

const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–');
const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '–');
const mib = (b: number): string => `${(b / 1024 ** 2).toFixed(0)} MiB`;

/** Min, median and max of the finite values. */
export function spreadOf(values: readonly number[]): Spread {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { n, min: NaN, median: NaN, max: NaN };
  const median = n % 2 === 1 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { n, min: s[0], median, max: s[n - 1] };
}

/** "median (min–max)", or just the value when there was one repeat. */
export function formatSpread(s: Spread, format: (x: number) => string = f1): string {
  return s.n > 1 ? `${format(s.median)} (${format(s.min)}–${format(s.max)})` : format(s.median);
}

/** Whether every value is at most `limit`: all are (holds), none is (fails), or the spread straddles it. */
export function belowLimit(values: readonly number[], limit: number): Verdict {
  const s = spreadOf(values);
  if (s.n === 0) return 'fails';
  if (s.max <= limit) return 'holds';
  if (s.min > limit) return 'fails';
  return 'too-noisy';
}

/**
 * Whether `a` is larger than `minRatio` × `b`: the difference of medians (a − ratio·b) against
 * the larger spread (max − min) of the two, b's scaled by the ratio. Larger than the spread:
 * holds; below minus the spread, or no spread and not larger: fails; else too noisy to tell.
 */
export function exceeds(a: Spread, b: Spread, minRatio = 1): Verdict {
  if (a.n === 0 || b.n === 0) return 'fails';
  const effect = a.median - minRatio * b.median;
  const noise = Math.max(a.max - a.min, minRatio * (b.max - b.min));
  if (effect > noise) return 'holds';
  if (noise > 0 && effect > -noise) return 'too-noisy';
  return 'fails';
}

/** A claim checked on each repeat: all agree, or too noisy to tell. */
export function consistent(perRepeat: readonly boolean[]): Verdict {
  if (perRepeat.length === 0) return 'fails';
  if (perRepeat.every(Boolean)) return 'holds';
  if (!perRepeat.some(Boolean)) return 'fails';
  return 'too-noisy';
}

/** Every part of a claim: any part that fails fails it; any undecided part leaves it undecided. */
export function allOf(...verdicts: Verdict[]): Verdict {
  if (verdicts.includes('fails')) return 'fails';
  if (verdicts.includes('too-noisy')) return 'too-noisy';
  return 'holds';
}

const finding = (id: Finding['id'], claim: string, verdict: Verdict, evidence: string): Finding => ({ id, claim, verdict, holds: verdict === 'holds', evidence });

/** A configuration's runs, one per repeat in repeat order. */
interface Group {
  name: string;
  policy: GcPolicy;
  mode: StutterMode;
  runs: AnalyzedRun[];
}

function groupRuns(runs: readonly AnalyzedRun[]): Group[] {
  const groups = new Map<string, Group>();
  for (const r of runs) {
    const key = `${r.row.policy}/${r.row.mode}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { name: r.name, policy: r.row.policy, mode: r.row.mode, runs: [] }));
    g.runs.push(r);
  }
  for (const g of groups.values()) g.runs.sort((a, b) => a.repeat - b.repeat);
  return [...groups.values()];
}

const over = (g: Group, f: (r: AnalyzedRun) => number): Spread => spreadOf(g.runs.map(f));

/** Each configuration's spread of mean TPS and ITL tail over its repeats. */
export function configSpreads(runs: readonly AnalyzedRun[]): ConfigSpread[] {
  return groupRuns(runs).map((g) => ({
    name: g.name,
    policy: g.policy,
    mode: g.mode,
    repeats: g.runs.length,
    meanTps: over(g, (r) => r.row.mean_tps),
    itlP99Ms: over(g, (r) => r.row.itl_p99_ms),
    itlMaxMs: over(g, (r) => r.row.itl_max_ms),
  }));
}

/** Runs of two groups paired by repeat (the runs that ran side by side in the interleaved order). */
function pairs(a: Group, b: Group): [AnalyzedRun, AnalyzedRun][] {
  const out: [AnalyzedRun, AnalyzedRun][] = [];
  for (const x of a.runs) {
    const y = b.runs.find((r) => r.repeat === x.repeat);
    if (y) out.push([x, y]);
  }
  return out;
}

/** Whether one periodic run shows a stall every `N` tokens of each stream, from real sweeps. */
function periodicStalls(r: AnalyzedRun, N: number, need: number): boolean {
  const p = r.kvGcPeriodicity;
  const w = r.work;
  // Every stream decoding at a sweep meets it, so a stream stalls about once per N of its
  // tokens; sweeps that catch a stream between turns make the rate a little lower.
  const perSpike = p.spikes > 0 ? r.row.tokens / p.spikes : Infinity;
  const rateOk = perSpike >= 0.75 * N && perSpike <= 1.6 * N;
  const onGrid = p.checked === 0 || p.alignedFraction >= need;
  return p.spikes > 0 && rateOk && onGrid && w.verifiedBytesPerSweep + w.bytesScrubbed > 0;
}

/** Checks the story against the runs (every repeat of every configuration the runs cover). */
export function concludeStutter(runs: readonly AnalyzedRun[], opts: ConclusionOptions): StutterConclusion {
  const N = opts.interval;
  const groups = groupRuns(runs);
  const spreads = configSpreads(runs);
  const repeats = groups.length > 0 ? Math.min(...groups.map((g) => g.runs.length)) : 0;
  const findings: Finding[] = [];
  const find = (policy: GcPolicy, mode: StutterMode = 'normal'): Group | undefined => groups.find((g) => g.policy === policy && g.mode === mode);
  const normal = groups.filter((g) => g.mode === 'normal');
  const periodic = find('periodic');
  const incremental = find('incremental');
  const off = find('off');

  // The average's blindness, measured inside each run of the periodic configuration (else the
  // one with the longest GC pause): what its pauses cost mean tokens/s, free of drift between
  // runs; and the tail against the baseline's over the repeats.
  const maxPause = (g: Group): number => Math.max(...g.runs.map((r) => r.work.maxPauseMs));
  const costly = periodic ?? [...normal].sort((a, b) => maxPause(b) - maxPause(a))[0];
  if (costly && costly.runs.some((r) => r.work.cycles > 0)) {
    const tol = opts.tpsTolerance ?? 0.15;
    const ratio = opts.p99Ratio ?? 2;
    const costs = costly.runs.map((r) => r.withoutKvGc.meanTpsCost);
    const cost = belowLimit(costs, tol);
    const p99 = over(costly, (r) => r.row.itl_p99_ms);
    // Without a GC-off run, the baseline is the same run's tail with its pauses taken out.
    const base = off && off !== costly ? over(off, (r) => r.row.itl_p99_ms) : over(costly, (r) => r.withoutKvGc.itlP99Ms);
    const baseName = off && off !== costly ? 'with GC off' : 'without its pauses';
    let tail = exceeds(p99, base, ratio);
    // A baseline whose own tail is already `ratio` × its median ITL stalled for reasons the lab
    // does not control (a busy machine): the GC's effect on the tail cannot be told apart.
    const baseP50 = over(off && off !== costly ? off : costly, (r) => r.row.itl_p50_ms);
    const noisyBase = base.median >= ratio * baseP50.median;
    if (tail === 'fails' && noisyBase) tail = 'too-noisy';
    const tpsOf = (g: Group): string => `${g.name} ${formatSpread(over(g, (r) => r.row.mean_tps))}`;
    findings.push(
      finding(
        'mean-tps',
        `mean tokens/s barely moves (the GC pauses cost it at most ${pct(tol)}) while P99 ITL explodes (at least ${ratio}× the baseline)`,
        allOf(cost, tail),
        `${costly.name}'s GC pauses cost ${formatSpread(spreadOf(costs), pct)} of its mean TPS; ` +
          `P99 ITL ${formatSpread(p99)} ms vs ${formatSpread(base)} ms ${baseName} (${(p99.median / base.median).toFixed(1)}×)` +
          (noisyBase ? `, whose own P99 was already ${(base.median / baseP50.median).toFixed(1)}× its median ITL (stalls of a busy machine)` : '') +
          '; ' +
          `mean TPS across runs ${normal.map(tpsOf).join(', ')}`,
      ),
    );
  }

  if (periodic) {
    const need = opts.alignedFraction ?? 0.8;
    const each = periodic.runs.map((r) => periodicStalls(r, N, need));
    const spikes = periodic.runs.reduce((a, r) => a + r.kvGcPeriodicity.spikes, 0);
    const tokens = periodic.runs.reduce((a, r) => a + r.row.tokens, 0);
    const checked = periodic.runs.reduce((a, r) => a + r.kvGcPeriodicity.checked, 0);
    const aligned = periodic.runs.reduce((a, r) => a + r.kvGcPeriodicity.aligned, 0);
    const sweeps = periodic.runs.reduce((a, r) => a + r.work.sweeps, 0);
    const verified = spreadOf(periodic.runs.map((r) => r.work.verifiedBytesPerSweep));
    findings.push(
      finding(
        'periodic-spikes',
        `periodic GC stalls the streams every ${N} tokens`,
        consistent(each),
        `${spikes} kv-gc spikes over ${tokens} tokens, one per ${f1(spikes > 0 ? tokens / spikes : Infinity)} tokens of a stream` +
          `${each.length > 1 ? ` (the rate and the grid hold in ${each.filter(Boolean).length} of ${each.length} repeats)` : ''}; ` +
          (checked > 0 ? `within a reply ${aligned}/${checked} sit on the ${N}-token grid (± ${periodic.runs[0].kvGcPeriodicity.tolerance}); ` : '') +
          `${sweeps} sweeps, median pause ${formatSpread(over(periodic, (r) => r.work.medianPauseMs))} ms, each reading back ${mib(verified.median)} of free blocks`,
      ),
    );
  }

  if (periodic && incremental) {
    // A GC stall is a spike holding at least half a sweep of GC work: what a user notices and
    // the GC caused. Other kv-gc spikes in the incremental run are jitter or a busy machine's
    // stalls that happened to overlap a slice (slices run every step, so they overlap every gap).
    const both = pairs(periodic, incremental);
    const stalls = (r: AnalyzedRun, ms: number): number => r.kvGcSpikePausesMs.filter((g) => g >= ms).length;
    const fewer = both.map(([p, i]) => stalls(i, 0.5 * p.work.medianPauseMs) < stalls(p, 0.5 * p.work.medianPauseMs));
    const stallsP = spreadOf(both.map(([p]) => stalls(p, 0.5 * p.work.medianPauseMs)));
    const stallsI = spreadOf(both.map(([p, i]) => stalls(i, 0.5 * p.work.medianPauseMs)));
    const p99P = over(periodic, (r) => r.row.itl_p99_ms);
    const p99I = over(incremental, (r) => r.row.itl_p99_ms);
    findings.push(
      finding(
        'incremental-smooth',
        'incremental GC is smooth: fewer GC stalls and a lower P99 ITL than periodic',
        allOf(consistent(fewer), exceeds(p99P, p99I)),
        `GC stalls (spikes holding ≥ half a sweep of GC work) ${formatSpread(stallsI, String)} vs ${formatSpread(stallsP, String)}; ` +
          `P99 ITL ${formatSpread(p99I)} vs ${formatSpread(p99P)} ms; max ITL ${formatSpread(over(incremental, (r) => r.row.itl_max_ms))} vs ${formatSpread(over(periodic, (r) => r.row.itl_max_ms))} ms; ` +
          `GC pause P99 ${formatSpread(over(incremental, (r) => r.row.gc_pause_p99_ms))} vs ${formatSpread(over(periodic, (r) => r.row.gc_pause_p99_ms))} ms`,
      ),
    );

    // Periodic lags: what was freed after its last sweep is still queued when the run ends. The
    // claim is that incremental cleans at least as much, out of the same garbage.
    const tol = opts.reclaimTolerance ?? 0.2;
    const same = both.map(([p, i]) => {
      const gI = i.row.reclaimed_blocks + i.blocksAwaitingScrub;
      const gP = p.row.reclaimed_blocks + p.blocksAwaitingScrub;
      const m = Math.max(gI, gP);
      return m > 0 && Math.abs(gI - gP) <= tol * m && i.row.reclaimed_blocks >= (1 - tol) * p.row.reclaimed_blocks;
    });
    const [p0, i0] = both[0] ?? [periodic.runs[0], incremental.runs[0]];
    findings.push(
      finding(
        'same-reclaim',
        'incremental GC reclaims the same memory as periodic',
        consistent(same),
        `${i0.row.reclaimed_blocks} vs ${p0.row.reclaimed_blocks} blocks scrubbed and returned to the free list, out of ` +
          `${i0.row.reclaimed_blocks + i0.blocksAwaitingScrub} vs ${p0.row.reclaimed_blocks + p0.blocksAwaitingScrub} blocks freed; ` +
          `left awaiting a scrub at the end: ${i0.blocksAwaitingScrub} vs ${p0.blocksAwaitingScrub}` +
          (both.length > 1 ? ` (first repeat; the same in ${same.filter(Boolean).length} of ${both.length})` : ''),
      ),
    );
  }

  const heavy = groups.find((g) => g.mode === 'alloc-heavy');
  if (heavy) {
    const plain = find(heavy.policy) ?? normal[0];
    const v8 = over(heavy, (r) => r.row.spikes.v8_gc);
    const base = plain ? over(plain, (r) => r.row.spikes.v8_gc) : spreadOf([0]);
    findings.push(
      finding(
        'v8-gc',
        'allocating per token makes V8 garbage collection a source of stutter',
        exceeds(v8, base),
        `v8-gc spikes ${formatSpread(v8, String)} in ${heavy.name} vs ${formatSpread(base, String)}${plain ? ` in ${plain.name}` : ''}; ` +
          `longest V8 collection ${formatSpread(over(heavy, (r) => r.v8Gc.maxMs))} ms; max ITL ${formatSpread(over(heavy, (r) => r.row.itl_max_ms))} ms`,
      ),
    );
  }

  return { findings, spreads, repeats, summary: summarize(findings, repeats) };
}

function summarize(findings: readonly Finding[], repeats: number): string {
  if (findings.length === 0) return 'Too few runs to check any claim.';
  const count = (v: Verdict): number => findings.filter((f) => f.verdict === v).length;
  const parts = [`${count('holds')} of ${findings.length} claims hold`];
  if (count('fails') > 0) parts.push(`${count('fails')} do not`);
  let text = parts.join(', ');
  if (count('too-noisy') > 0) {
    text += `; ${count('too-noisy')} could not be decided: this machine was too noisy to conclude (the spread across ${repeats} repeats was larger than the effect)`;
  }
  if (repeats < 2) text += ' — one repeat per configuration, so no spread was measured';
  return `${text}.`;
}
