/**
 * The GC-stutter experiment as people and programs read it: the conclusions as a ✓/✗ list, the
 * spread over repeats, the per-run table, the setup line and the JSON summary.
 */
import type { StutterLabResult, StutterRunResult } from './stutter.js';
import type { StutterRow } from './stutter-analysis.js';
import { formatSpread, type ConfigSpread, type Finding, type StutterConclusion, type Verdict } from './stutter-conclusion.js';
import { num, textTable } from './text-table.js';

/** `legato lab stutter --json`'s object. */
export interface StutterJson {
  /** One row per run, in execution order, with the repeat it was (0-based). */
  runs: (StutterRow & { repeat: number })[];
  /** Each configuration's min/median/max of mean TPS and ITL tail over its repeats. */
  spreads: ConfigSpread[];
  /** Each claim and what the data says about it. */
  conclusions: { id: Finding['id']; verdict: Verdict; claim: string }[];
  summary: string;
  /** Path of the HTML report. */
  report: string;
}

/** The JSON summary: rows, spreads, conclusions and the report's path. */
export function stutterJson(result: StutterLabResult, reportHtml: string): StutterJson {
  const c = result.conclusion;
  return {
    runs: result.runs.map((r) => ({ ...r.analysis.row, repeat: r.repeat })),
    spreads: c.spreads,
    conclusions: c.findings.map((f) => ({ id: f.id, verdict: f.verdict, claim: f.claim })),
    summary: c.summary,
    report: reportHtml,
  };
}

/** A run's label: its configuration, and which repeat when there are several. */
export function stutterRunLabel(r: Pick<StutterRunResult, 'name' | 'repeat'>, repeats: number): string {
  return repeats > 1 ? `${r.name} #${r.repeat + 1}` : r.name;
}

/** Runs grouped by configuration (in the order configurations first ran), repeats in order. */
export function runsByConfig(result: StutterLabResult): StutterRunResult[] {
  const first = new Map<string, number>();
  result.runs.forEach((r, i) => {
    if (!first.has(r.name)) first.set(r.name, i);
  });
  return [...result.runs].sort((a, b) => first.get(a.name)! - first.get(b.name)! || a.repeat - b.repeat);
}

/** The per-run table, runs grouped by configuration. */
export function formatStutterTable(result: StutterLabResult): string {
  const rows = runsByConfig(result).map((r) => {
    const x = r.analysis.row;
    return [
      stutterRunLabel(r, result.setup.repeats),
      x.mode,
      String(x.tokens),
      num(x.mean_tps),
      num(x.ttft_ms),
      num(x.itl_p50_ms),
      num(x.itl_p95_ms),
      num(x.itl_p99_ms),
      num(x.itl_max_ms),
      num(x.smoothness, 3),
      String(x.gc_cycles),
      num(x.gc_pause_p99_ms),
      String(x.reclaimed_blocks),
      `${x.spikes.v8_gc}/${x.spikes.kv_gc}/${x.spikes.prefill}/${x.spikes.unknown}`,
    ];
  });
  return textTable(
    [
      { header: 'run' },
      { header: 'mode' },
      { header: 'tokens', right: true },
      { header: 'mean TPS', right: true },
      { header: 'TTFT p50', right: true },
      { header: 'ITL p50', right: true },
      { header: 'p95', right: true },
      { header: 'p99', right: true },
      { header: 'max', right: true },
      { header: 'smooth', right: true },
      { header: 'GC cycles', right: true },
      { header: 'GC p99', right: true },
      { header: 'reclaimed', right: true },
      { header: 'spikes v8/kv/prefill/?', right: true },
    ],
    rows,
  );
}

/** The mark of a verdict: ✓ holds, ✗ fails, ? too noisy to conclude. */
export function verdictMark(v: Verdict): '✓' | '✗' | '?' {
  return v === 'holds' ? '✓' : v === 'fails' ? '✗' : '?';
}

/** A claim as one line: its mark, the claim, and (after a colon) the evidence. */
export function formatFinding(f: Finding): string {
  return `${verdictMark(f.verdict)} ${f.verdict === 'too-noisy' ? '(too noisy to conclude) ' : ''}${f.claim}: ${f.evidence}`;
}

/** The conclusions: each claim with ✓, ✗ or ? and its evidence, then the one-line summary. */
export function formatConclusion(c: StutterConclusion): string {
  return [...c.findings.map(formatFinding), '', c.summary].join('\n');
}

/** Each configuration's spread over its repeats: median (min–max). */
export function formatSpreadTable(c: StutterConclusion): string {
  return textTable(
    [
      { header: 'configuration' },
      { header: 'repeats', right: true },
      { header: 'mean TPS', right: true },
      { header: 'P99 ITL (ms)', right: true },
      { header: 'max ITL (ms)', right: true },
    ],
    c.spreads.map((s) => [s.name, String(s.repeats), formatSpread(s.meanTps), formatSpread(s.itlP99Ms), formatSpread(s.itlMaxMs)]),
  );
}

/** One line describing the setup. */
export function formatStutterSetup(result: StutterLabResult): string {
  const s = result.setup;
  const pool = `${(s.kvMemoryBytes / 1024 ** 2).toFixed(0)} MiB KV pool (${s.kvBlocks} blocks of ${s.blockSize} tokens)`;
  const sized = s.calibration
    ? `, sized for ~${s.pauseTargetMs} ms sweeps (measured ${s.calibration.msPerGiB.toFixed(0)} ms/GiB)`
    : '';
  const p = s.pacing;
  const idle = result.runs.map((r) => r.meanIdleMs);
  const paced =
    p.targetStepMs > 0
      ? `decoding paced to ~${p.targetStepMs} ms a step: the model computes a step in ${num(p.computeStepMs)} ms here, and each step then idles ` +
        `the target minus the recent median compute (${num(Math.min(...idle))}–${num(Math.max(...idle))} ms on average per run), standing in for a bigger model; ` +
        'GC pauses and stalls come on top'
      : `decoding unpaced (${num(p.computeStepMs)} ms a step)`;
  return (
    `${s.model} on ${s.backend} (random weights, real timing): ${s.users} users × ${s.conversations / s.users} conversations × ${s.turns} turns, ` +
    `~${s.tokensPerReply} tokens per reply; ${paced}; GC interval ${s.interval} tokens; ${pool}${sized}; ` +
    `${s.repeats} interleaved repeat${s.repeats === 1 ? '' : 's'} of each configuration. ` +
    'Times in ms; mean TPS = mean over streams of 1000/TPOT; spikes = gaps > 2× the stream\'s running median, by overlapping cause.'
  );
}

/** Everything a terminal shows: the setup, the per-run table, the spread over repeats, the conclusions. */
export function formatStutterText(result: StutterLabResult): string {
  const parts = [formatStutterSetup(result), formatStutterTable(result)];
  if (result.setup.repeats > 1) parts.push(`Spread over ${result.setup.repeats} interleaved repeats, median (min–max):\n\n${formatSpreadTable(result.conclusion)}`);
  parts.push(formatConclusion(result.conclusion));
  return parts.join('\n\n');
}
