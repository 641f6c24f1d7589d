/** The GC-stutter experiment as people and programs read it: a table, the conclusion, the JSON summary. */
import type { StutterLabResult } from './stutter.js';
import type { StutterConclusion, StutterRow } from './stutter-analysis.js';
import { num, textTable } from './text-table.js';

/** `legato lab stutter --json`'s object. */
export interface StutterJson {
  runs: StutterRow[];
  /** Path of the HTML report. */
  report: string;
}

/** The JSON summary: one row per run and the report's path. */
export function stutterJson(result: StutterLabResult, reportHtml: string): StutterJson {
  return { runs: result.runs.map((r) => r.analysis.row), report: reportHtml };
}

/** The per-run table. */
export function formatStutterTable(result: StutterLabResult): string {
  const rows = result.runs.map((r) => {
    const x = r.analysis.row;
    return [
      r.name,
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

/** The conclusion: the summary paragraph and each claim with ✓ or ✗ and its evidence. */
export function formatConclusion(c: StutterConclusion): string {
  const lines = [c.summary, ''];
  for (const f of c.findings) lines.push(`${f.holds ? '✓' : '✗'} ${f.claim}: ${f.evidence}`);
  return lines.join('\n');
}

/** One line describing the setup. */
export function formatStutterSetup(result: StutterLabResult): string {
  const s = result.setup;
  const pool = `${(s.kvMemoryBytes / 1024 ** 2).toFixed(0)} MiB KV pool (${s.kvBlocks} blocks of ${s.blockSize} tokens)`;
  const sized = s.calibration
    ? `, sized for ~${s.pauseTargetMs} ms sweeps (measured ${s.calibration.msPerGiB.toFixed(0)} ms/GiB)`
    : '';
  return (
    `${s.model} on ${s.backend}: ${s.users} users × ${s.conversations / s.users} conversations × ${s.turns} turns, ` +
    `~${s.tokensPerReply} tokens per reply; GC interval ${s.interval} tokens; ${pool}${sized}. ` +
    'Times in ms; mean TPS = mean over streams of 1000/TPOT; spikes = gaps > 2× the stream\'s running median, by overlapping cause.'
  );
}
