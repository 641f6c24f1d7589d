/**
 * Vega-Lite specifications of the report's plots. Data is reduced here (binned,
 * downsampled, aggregated per position) so a run with a million tokens still gives a
 * small spec and a small SVG.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ReportInput, ReportRun } from './types.js';
import type { VegaLiteSpec } from './svg.js';
import { vllmItl, ttft, perRequest } from '../definitions.js';
import { histogram, logEdges } from '../histogram.js';
import { percentileSorted } from '../stats.js';

/** A plot to render: a file-safe name, a caption and its Vega-Lite spec. */
export interface ChartSpec {
  name: string;
  title: string;
  spec: VegaLiteSpec;
}

const WIDTH = 640;
const HEIGHT = 260;
const HISTOGRAM_BINS = 48;
const MAX_POSITIONS = 600;
const MAX_LINE_POINTS = 800;
const MAX_SPIKE_POINTS = 1500;

/** The report's plots, for every run side by side; the stutter plot (ITL by position) first. */
export function reportCharts(input: ReportInput): ChartSpec[] {
  const runNames = input.runs.map((r) => r.name);
  const charts = [itlByPosition(input.runs, runNames, input.panelColumns), itlHistogram(input.runs, runNames), ttftDistribution(input.runs, runNames)];
  if (input.runs.some((r) => r.gauges && r.gauges.length > 0)) {
    charts.push(kvUtilisation(input.runs, runNames), queueDepth(input.runs, runNames));
  }
  return charts;
}

/** ITL histogram on log-spaced bins shared by all runs. */
export function itlHistogram(runs: readonly ReportRun[], runNames: string[]): ChartSpec {
  const samples = runs.map((r) => vllmItl(r.timeline));
  let lo = Infinity;
  let hi = 0;
  for (const s of samples) {
    for (let i = 0; i < s.length; i++) {
      const v = s[i];
      if (v > 0 && v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const values: { run: string; lo: number; hi: number; count: number }[] = [];
  if (hi > 0) {
    const edges = logEdges({ min: lo, max: hi, bins: HISTOGRAM_BINS });
    runs.forEach((r, k) => {
      const h = histogram(samples[k], edges);
      for (let b = 0; b < h.counts.length; b++) {
        if (h.counts[b] > 0) values.push({ run: r.name, lo: edges[b], hi: edges[b + 1], count: h.counts[b] });
      }
    });
  }
  return {
    name: 'itl-histogram',
    title: 'Inter-token latency histogram (every gap between consecutive tokens, pooled over requests)',
    spec: {
      ...base('ITL histogram'),
      data: { values },
      mark: { type: 'rect', opacity: 0.6, stroke: 'white', strokeWidth: 0.5 },
      encoding: {
        x: { field: 'lo', type: 'quantitative', scale: { type: 'log' }, title: 'inter-token latency (ms, log scale)' },
        x2: { field: 'hi' },
        y: { field: 'count', type: 'quantitative', scale: { type: 'symlog' }, title: 'gaps (symlog scale)' },
        y2: { datum: 0 },
        color: runColor(runNames),
      },
    },
  };
}

const SPIKE_CAUSE_DOMAIN = ['v8-gc', 'kv-gc', 'prefill', 'unknown'];
const SPIKE_CAUSE_COLORS = ['#e45756', '#f58518', '#54a24b', '#79706e'];
const PANEL_WIDTH = 300;
const PANEL_HEIGHT = 140;

/**
 * GenAI-Perf's stutter plot: inter-token latency against output token position, one panel per
 * run on shared axes (runs drawn into one panel hide each other's spikes), `columns` panels to a
 * row. Each panel shows the median and max gap over requests, and every spike coloured by cause.
 * The y axis is logarithmic: one run's second-long pauses must not flatten another's 100 ms ones.
 */
export function itlByPosition(runs: readonly ReportRun[], runNames: string[], columns = 2): ChartSpec {
  const values: { kind: 'line' | 'spike'; run: string; position: number; ms: number; stat?: string; cause?: string }[] = [];
  for (const r of runs) {
    // A log scale has no place for a zero gap (tokens of one chunk arrive together).
    for (const p of positionProfile(r)) if (p.ms > 0) values.push({ kind: 'line', ...p });
    const spikes = r.spikes ?? [];
    const step = Math.max(1, Math.ceil(spikes.length / MAX_SPIKE_POINTS));
    for (let i = 0; i < spikes.length; i += step) {
      const s = spikes[i];
      if (s.gapMs > 0) values.push({ kind: 'spike', run: r.name, position: s.tokenIndex, ms: s.gapMs, cause: s.primary });
    }
  }
  const x = { field: 'position', type: 'quantitative' as const, title: 'output token position' };
  const y = { field: 'ms', type: 'quantitative' as const, title: 'inter-token latency (ms, log scale)', scale: { type: 'log' as const } };
  return {
    name: 'itl-by-position',
    title: 'Inter-token latency vs output token position, one panel per run on a shared y axis: median and max over requests; spikes coloured by cause',
    spec: {
      $schema: base('').$schema,
      title: 'ITL vs output token position',
      background: 'white',
      config: { font: 'sans-serif', legend: { orient: 'right' } },
      data: { values },
      facet: { field: 'run', type: 'nominal', sort: runNames, title: null, header: { labelFontSize: 12, labelAnchor: 'start', labelFontWeight: 'bold' } },
      columns: Math.max(1, Math.floor(columns)),
      resolve: { scale: { x: 'shared', y: 'shared' } },
      spec: {
        width: PANEL_WIDTH,
        height: PANEL_HEIGHT,
        layer: [
          {
            transform: [{ filter: "datum.kind === 'line'" }],
            mark: { type: 'line', strokeWidth: 1.2, interpolate: 'step-after', color: '#4c78a8' },
            encoding: {
              x,
              y,
              strokeDash: { field: 'stat', type: 'nominal', title: 'over requests', scale: { domain: ['median', 'max'], range: [[1, 0], [4, 3]] } },
            },
          },
          {
            transform: [{ filter: "datum.kind === 'spike'" }],
            mark: { type: 'point', filled: true, size: 30 },
            encoding: {
              x,
              y,
              color: { field: 'cause', type: 'nominal', title: 'spike cause', scale: { domain: SPIKE_CAUSE_DOMAIN, range: SPIKE_CAUSE_COLORS } },
              shape: { field: 'cause', type: 'nominal', title: 'spike cause', scale: { domain: SPIKE_CAUSE_DOMAIN } },
            },
          },
        ],
      },
    },
  };
}

/** TTFT distribution as an empirical CDF per run, with P50/P90/P99 marked. */
export function ttftDistribution(runs: readonly ReportRun[], runNames: string[]): ChartSpec {
  const curve: { run: string; ms: number; fraction: number }[] = [];
  const marks: { run: string; ms: number; fraction: number; percentile: string }[] = [];
  for (const r of runs) {
    const sorted = perRequest(r.timeline, ttft).filter((v) => v === v).sort();
    const n = sorted.length;
    if (n === 0) continue;
    const step = Math.max(1, Math.ceil(n / MAX_LINE_POINTS));
    for (let i = 0; i < n; i += step) curve.push({ run: r.name, ms: sorted[i], fraction: (i + 1) / n });
    if ((n - 1) % step !== 0) curve.push({ run: r.name, ms: sorted[n - 1], fraction: 1 });
    for (const p of [50, 90, 99]) {
      marks.push({ run: r.name, ms: percentileSorted(sorted, p), fraction: p / 100, percentile: `P${p}` });
    }
  }
  return {
    name: 'ttft-distribution',
    title: 'Time to first token: empirical CDF over requests, with P50/P90/P99 marked',
    spec: {
      ...base('TTFT distribution'),
      layer: [
        {
          data: { values: curve },
          mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
          encoding: {
            x: { field: 'ms', type: 'quantitative', title: 'time to first token (ms)' },
            y: { field: 'fraction', type: 'quantitative', title: 'fraction of requests', scale: { domain: [0, 1] } },
            color: runColor(runNames),
          },
        },
        {
          data: { values: marks },
          mark: { type: 'point', filled: true, size: 50 },
          encoding: {
            x: { field: 'ms', type: 'quantitative', title: 'time to first token (ms)' },
            y: { field: 'fraction', type: 'quantitative', title: 'fraction of requests' },
            color: runColor(runNames),
            shape: { field: 'percentile', type: 'nominal', title: 'percentile', scale: { domain: ['P50', 'P90', 'P99'] } },
          },
        },
      ],
    },
  };
}

/** KV-cache utilisation per step over time, with KV GC cycles as vertical rules. */
export function kvUtilisation(runs: readonly ReportRun[], runNames: string[]): ChartSpec {
  const line: { run: string; t: number; util: number }[] = [];
  const gcs: { run: string; t: number }[] = [];
  for (const r of runs) {
    const g = r.gauges;
    if (!g || g.length === 0) continue;
    const t0 = runStart(r);
    downsampleMax(g.time, g.kvUtilisation, g.length, (t, v) => line.push({ run: r.name, t: (t - t0) / 1000, util: v * 100 }));
    for (const ev of r.kvGcEvents ?? []) gcs.push({ run: r.name, t: (ev.startTime - t0) / 1000 });
  }
  const layers: NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> = [
    {
      data: { values: line },
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'time since run start (s)' },
        y: { field: 'util', type: 'quantitative', title: 'KV blocks used (%)', scale: { domain: [0, 100] } },
        color: runColor(runNames),
      },
    },
  ];
  if (gcs.length > 0) {
    layers.push({
      data: { values: gcs },
      mark: { type: 'rule', strokeDash: [2, 2], strokeWidth: 1, opacity: 0.7 },
      encoding: { x: { field: 't', type: 'quantitative', title: 'time since run start (s)' }, color: runColor(runNames) },
    });
  }
  return {
    name: 'kv-utilisation',
    title: 'KV-cache utilisation over time (per-bucket max); dashed rules are KV-cache GC cycles',
    spec: { ...base('KV-cache utilisation'), layer: layers },
  };
}

/** Prefill queue depth (waiting requests) and running batch size over time. */
export function queueDepth(runs: readonly ReportRun[], runNames: string[]): ChartSpec {
  const values: { run: string; t: number; n: number; series: string }[] = [];
  for (const r of runs) {
    const g = r.gauges;
    if (!g || g.length === 0) continue;
    const t0 = runStart(r);
    downsampleMax(g.time, g.waiting, g.length, (t, v) => values.push({ run: r.name, t: (t - t0) / 1000, n: v, series: 'waiting' }));
    downsampleMax(g.time, g.running, g.length, (t, v) => values.push({ run: r.name, t: (t - t0) / 1000, n: v, series: 'running' }));
  }
  return {
    name: 'queue-depth',
    title: 'Prefill queue depth (waiting requests, solid) and running sequences (dashed) over time',
    spec: {
      ...base('Queue depth'),
      data: { values },
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'time since run start (s)' },
        y: { field: 'n', type: 'quantitative', title: 'requests' },
        color: runColor(runNames),
        strokeDash: { field: 'series', type: 'nominal', title: 'series', scale: { domain: ['waiting', 'running'], range: [[1, 0], [4, 3]] } },
        detail: { field: 'run', type: 'nominal' },
      },
    },
  };
}

/**
 * Median and max gap at each output position over the run's requests. Positions are
 * grouped into at most MAX_POSITIONS buckets so long generations keep a small plot.
 */
function positionProfile(r: ReportRun): { run: string; position: number; stat: string; ms: number }[] {
  let maxPos = 0;
  for (const t of r.timeline) if (t.tokenTimes.length > maxPos) maxPos = t.tokenTimes.length;
  if (maxPos < 2) return [];
  const width = Math.max(1, Math.ceil(maxPos / MAX_POSITIONS));
  const buckets = Math.ceil(maxPos / width);
  // Group gaps by bucket: count, prefix offsets, fill, then sort each segment.
  const counts = new Uint32Array(buckets + 1);
  forEachGap(r, (pos) => counts[Math.floor(pos / width) + 1]++);
  for (let b = 1; b <= buckets; b++) counts[b] += counts[b - 1];
  const gaps = new Float64Array(counts[buckets]);
  const fill = counts.slice(0, buckets);
  forEachGap(r, (pos, gap) => (gaps[fill[Math.floor(pos / width)]++] = gap));
  const out: { run: string; position: number; stat: string; ms: number }[] = [];
  for (let b = 0; b < buckets; b++) {
    const seg = gaps.subarray(counts[b], counts[b + 1]).sort();
    if (seg.length === 0) continue;
    out.push({ run: r.name, position: b * width, stat: 'median', ms: percentileSorted(seg, 50) });
    out.push({ run: r.name, position: b * width, stat: 'max', ms: seg[seg.length - 1] });
  }
  return out;
}

/** Visits each inter-chunk gap with the output position of the later chunk's first token. */
function forEachGap(r: ReportRun, visit: (position: number, gap: number) => void): void {
  for (const t of r.timeline) {
    const times = t.tokenTimes;
    const chunks = t.chunkTokens;
    const n = chunks ? chunks.length : times.length;
    let first = 0;
    let prev = NaN;
    for (let k = 0; k < n; k++) {
      const size = chunks ? chunks[k] : 1;
      const time = times[Math.min(first + size, times.length) - 1];
      if (k > 0) visit(first, time - prev);
      prev = time;
      first += size;
    }
  }
}

/** Reduces a series to at most MAX_LINE_POINTS points, keeping each bucket's maximum so peaks survive. */
function downsampleMax(time: ArrayLike<number>, value: ArrayLike<number>, n: number, emit: (t: number, v: number) => void): void {
  const step = Math.max(1, Math.ceil(n / MAX_LINE_POINTS));
  for (let i = 0; i < n; i += step) {
    let best = value[i];
    const end = Math.min(n, i + step);
    for (let j = i + 1; j < end; j++) if (value[j] > best) best = value[j];
    emit(time[i], best);
  }
}

function runStart(r: ReportRun): number {
  let t0 = r.gauges && r.gauges.length > 0 ? r.gauges.time[0] : Infinity;
  for (const t of r.timeline) if (t.arrival < t0) t0 = t.arrival;
  return Number.isFinite(t0) ? t0 : 0;
}

function runColor(runNames: string[]) {
  return { field: 'run', type: 'nominal' as const, title: 'run', scale: { domain: runNames } };
}

function base(title: string) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    config: { font: 'sans-serif', legend: { orient: 'right' as const } },
  };
}
