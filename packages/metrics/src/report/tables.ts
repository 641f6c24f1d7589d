/**
 * The report's tables as plain data, rendered to Markdown and to HTML by their writers,
 * so both formats always show the same numbers.
 */
import type { Summary } from '../stats.js';
import type { ReportInput } from './types.js';
import { SPIKE_CAUSES } from '../attribution.js';

/** A table: header cells, rows of cells, and which columns are numeric (right-aligned). */
export interface Table {
  title: string;
  /** One sentence on what the table shows and how its numbers are defined. */
  note?: string;
  columns: string[];
  numeric: boolean[];
  rows: string[][];
}

/** Latency metrics shown, with the definition each uses. */
const LATENCIES: { key: 'ttft' | 'tpot' | 'itl' | 'genaiPerfItl' | 'llmperfItl' | 'e2e' | 'queueTime'; label: string }[] = [
  { key: 'ttft', label: 'TTFT' },
  { key: 'tpot', label: 'TPOT (vLLM)' },
  { key: 'itl', label: 'ITL (vLLM, pooled gaps)' },
  { key: 'genaiPerfItl', label: 'ITL (GenAI-Perf, gap/tokens)' },
  { key: 'llmperfItl', label: 'ITL (LLMPerf, per-request mean)' },
  { key: 'e2e', label: 'E2E' },
  { key: 'queueTime', label: 'Queue time' },
];

const MAX_SPIKE_ROWS = 20;

/** Formats a number for a table: NaN/undefined as "–", otherwise 3 significant digits or more. */
export function fmt(v: number | undefined, digits = 2): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  const abs = Math.abs(v);
  if (abs >= 1000) return v.toFixed(0);
  if (abs >= 100) return v.toFixed(1);
  return v.toFixed(digits);
}

/** Every table of a report, in display order. */
export function reportTables(input: ReportInput): Table[] {
  const tables: Table[] = [];
  const runs = input.runs;
  if (input.meta && Object.keys(input.meta).length > 0) {
    tables.push({
      title: 'Setup',
      columns: ['key', 'value'],
      numeric: [false, false],
      rows: Object.entries(input.meta).map(([k, v]) => [k, String(v)]),
    });
  }

  tables.push({
    title: 'Throughput and smoothness',
    note: 'System tok/s = all output tokens / (last finish − first arrival). Smoothness S = 1/(1+CV²) of each request\'s inter-token gaps, gap-weighted over requests: 1 is perfectly steady.',
    columns: ['run', 'requests', 'output tokens', 'duration (s)', 'req/s', 'system tok/s', 'per-request tok/s P50', 'smoothness', 'worst request S', 'spikes', 'spikes / 1k gaps'],
    numeric: [false, true, true, true, true, true, true, true, true, true, true],
    rows: runs.map((r) => {
      const s = r.summary;
      return [
        r.name,
        String(s.requests),
        String(s.outputTokens),
        fmt(s.durationMs / 1000),
        fmt(s.requestThroughput),
        fmt(s.systemTokensPerSec),
        fmt(s.requestTokensPerSec.p50),
        fmt(s.smoothness.score, 3),
        fmt(s.smoothness.worst, 3),
        String(s.spikes.count),
        fmt(s.spikes.perThousandGaps),
      ];
    }),
  });

  const statCols = ['count', 'mean', 'std', 'P50', 'P90', 'P95', 'P99', 'max'];
  for (const { key, label } of LATENCIES) {
    if (runs.every((r) => r.summary[key].count === 0)) continue;
    tables.push({
      title: `${label} (ms)`,
      columns: ['run', ...statCols],
      numeric: [false, ...statCols.map(() => true)],
      rows: runs.map((r) => [r.name, ...summaryCells(r.summary[key])]),
    });
  }

  if (runs.some((r) => r.summary.gauges)) {
    tables.push({
      title: 'KV cache and scheduler (per step)',
      note: 'Waiting = prefill queue depth (requests not yet admitted). Utilisation = used/(used+cached+free) KV blocks unless the engine reports its own.',
      columns: ['run', 'steps', 'KV util mean', 'KV util P99', 'KV util max', 'waiting mean', 'waiting P99', 'waiting max', 'running mean', 'tokens/step mean'],
      numeric: [false, true, true, true, true, true, true, true, true, true],
      rows: runs.map((r) => {
        const g = r.summary.gauges;
        if (!g) return [r.name, '0', '–', '–', '–', '–', '–', '–', '–', '–'];
        return [
          r.name,
          String(g.steps),
          pct(g.kvUtilisation.mean),
          pct(g.kvUtilisation.p99),
          pct(g.kvUtilisation.max),
          fmt(g.waiting.mean),
          fmt(g.waiting.p99),
          fmt(g.waiting.max),
          fmt(g.running.mean),
          fmt(g.stepTokens.mean),
        ];
      }),
    });
  }

  tables.push({
    title: 'Spikes by primary cause, and GC totals',
    note: 'A spike is an inter-token gap above the outlier threshold (default 2 × the running median of the request\'s gaps), labelled with the event overlapping it longest.',
    columns: ['run', ...SPIKE_CAUSES, 'V8 GCs', 'V8 GC ms', 'V8 GC max ms', 'KV GCs', 'KV GC ms'],
    numeric: [false, ...SPIKE_CAUSES.map(() => true), true, true, true, true, true],
    rows: runs.map((r) => {
      const s = r.summary;
      return [
        r.name,
        ...SPIKE_CAUSES.map((c) => String(s.spikes.byCause[c])),
        String(s.v8Gc.count),
        fmt(s.v8Gc.totalMs),
        fmt(s.v8Gc.maxMs),
        String(s.kvGc.count),
        fmt(s.kvGc.totalMs),
      ];
    }),
  });

  const worst = runs.flatMap((r) => (r.spikes ?? []).map((s) => ({ run: r.name, s })));
  if (worst.length > 0) {
    worst.sort((a, b) => b.s.gapMs - a.s.gapMs);
    tables.push({
      title: `Largest spikes (top ${Math.min(MAX_SPIKE_ROWS, worst.length)} of ${worst.length})`,
      columns: ['run', 'request', 'token', 'gap (ms)', 'baseline (ms)', '×', 'primary', 'all causes'],
      numeric: [false, false, true, true, true, true, false, false],
      rows: worst.slice(0, MAX_SPIKE_ROWS).map(({ run, s }) => [
        run,
        String(s.requestId),
        String(s.tokenIndex),
        fmt(s.gapMs),
        fmt(s.baselineMs),
        fmt(s.ratio, 1),
        s.primary,
        s.causes.map(describeCause).join(', ') || '–',
      ]),
    });
  }
  return tables;
}

function summaryCells(s: Summary): string[] {
  return [String(s.count), fmt(s.mean), fmt(s.std), fmt(s.p50), fmt(s.p90), fmt(s.p95), fmt(s.p99), fmt(s.max)];
}

function pct(v: number): string {
  return Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : '–';
}

function describeCause(c: { kind: string; overlapMs: number; gcKind?: string; tokens?: number; blocksFreed?: number }): string {
  const what = c.gcKind ? `${c.kind} ${c.gcKind}` : c.tokens !== undefined ? `${c.kind} ${c.tokens} tok` : c.blocksFreed !== undefined ? `${c.kind} ${c.blocksFreed} blocks` : c.kind;
  return `${what} (${fmt(c.overlapMs)} ms)`;
}
