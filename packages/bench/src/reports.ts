/**
 * Where bench and lab reports go and what each writes: the metrics package's report (raw
 * per-token JSON, Markdown tables, SVG plots, one HTML page) plus the command's own summary.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeReport, type ReportRun, type WrittenReport } from '@legato/metrics';
import type { StutterLabResult } from './stutter.js';
import { formatConclusion, formatStutterSetup, stutterJson } from './stutter-format.js';

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

/** Writes the GC-stutter report into `dir`. */
export async function writeStutterReport(dir: string, result: StutterLabResult): Promise<StutterReportFiles> {
  const runs: ReportRun[] = result.runs.map((r) => ({ name: r.name, ...r.collected }));
  const s = result.setup;
  const written = await writeReport(dir, {
    title: 'The GC-stutter experiment',
    description: `${formatStutterSetup(result)}\n\n${formatConclusion(result.conclusion)}`,
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
        runs: result.runs.map((r) => ({ name: r.name, config: r.config, gc: r.gc, analysis: r.analysis, kvStats: r.kvStats, turns: r.turns, gcEvents: r.gcEvents })),
      },
      null,
      1,
    )}\n`,
  );
  return { ...written, summary, experiment };
}
