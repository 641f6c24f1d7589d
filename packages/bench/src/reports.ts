/**
 * Where bench and lab reports go and what each writes: the metrics package's report (raw
 * per-token JSON, Markdown tables, SVG plots, one HTML page) plus the command's own summary.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeReport, type ReportRun, type Table, type WrittenReport } from '@legato/metrics';
import type { StutterLabResult } from './stutter.js';
import { formatSpread } from './stutter-conclusion.js';
import { formatStutterSetup, runsByConfig, stutterJson, stutterRunLabel, verdictMark } from './stutter-format.js';

/** `reports/<command>-<YYYYMMDD-HHMMSS>` under `root`. */
export function defaultReportDir(command: string, root = process.cwd(), now = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return resolve(root, 'reports', `${command.replace(/[^\w.-]+/g, '-')}-${stamp}`);
}

/** Files of a lab report: the metrics report plus the experiment's summary. */
export interface StutterReportFiles extends WrittenReport {
  /** The `--json` summary object. */
  summary: string;
  /** Setup, conclusion, every run's analysis and every KV GC cycle with its work. */
  experiment: string;
}

/** The spread table of the report: each configuration's median (min–max) over its repeats. */
export function stutterSpreadTable(result: StutterLabResult): Table {
  const c = result.conclusion;
  return {
    title: `Spread over ${c.repeats} interleaved repeat${c.repeats === 1 ? '' : 's'}`,
    note: 'Median (min–max) over the repeats of each configuration. A claim is decided only when its effect is larger than this spread.',
    columns: ['configuration', 'repeats', 'mean TPS', 'P99 ITL (ms)', 'max ITL (ms)'],
    numeric: [false, true, true, true, true],
    rows: c.spreads.map((x) => [x.name, String(x.repeats), formatSpread(x.meanTps), formatSpread(x.itlP99Ms), formatSpread(x.itlMaxMs)]),
  };
}

/** Writes the GC-stutter report into `dir`. */
export async function writeStutterReport(dir: string, result: StutterLabResult): Promise<StutterReportFiles> {
  const s = result.setup;
  // Grouped by configuration, so the plot's rows are configurations and its columns repeats.
  const runs: ReportRun[] = runsByConfig(result).map((r) => ({ name: stutterRunLabel(r, s.repeats), ...r.collected }));
  const c = result.conclusion;
  const written = await writeReport(dir, {
    title: 'The GC-stutter experiment',
    conclusions: c.findings.map((f) => ({
      mark: verdictMark(f.verdict),
      claim: f.verdict === 'too-noisy' ? `${f.claim} — too noisy to conclude` : f.claim,
      evidence: f.evidence,
    })),
    description: `${c.summary}\n\n${formatStutterSetup(result)}`,
    leadTables: [stutterSpreadTable(result)],
    panelColumns: s.repeats > 1 ? s.repeats : 2,
    runs,
    meta: {
      model: s.model,
      backend: s.backend,
      users: s.users,
      conversations: s.conversations,
      turns: s.turns,
      tokens_per_reply: s.tokensPerReply,
      gc_interval_tokens: s.interval,
      kv_memory_bytes: s.kvMemoryBytes,
      kv_blocks: s.kvBlocks,
      block_size: s.blockSize,
      context_size: s.contextSize,
      max_batch_tokens: s.maxBatchTokens,
      repeats: s.repeats,
      step_ms_target: s.pacing.targetStepMs,
      step_ms_compute: Number(s.pacing.computeStepMs.toFixed(2)),

      seed: s.seed,
    },
  });
  const summary = join(dir, 'summary.json');
  await writeFile(summary, `${JSON.stringify(stutterJson(result, written.html), null, 2)}\n`);
  const experiment = join(dir, 'experiment.json');
  await writeFile(
    experiment,
    `${JSON.stringify(
      {
        setup: result.setup,
        conclusion: result.conclusion,
        runs: result.runs.map((r) => ({ name: r.name, repeat: r.repeat, order: r.order, meanIdleMs: r.meanIdleMs, config: r.config, gc: r.gc, analysis: r.analysis, kvStats: r.kvStats, turns: r.turns, gcEvents: r.gcEvents })),
      },
      null,
      1,
    )}\n`,
  );
  return { ...written, summary, experiment };
}
