import { beforeAll, describe, expect, it } from 'vitest';
import { renderFigures } from '../src/report/write.js';
import type { HtmlFigure } from '../src/report/html.js';
import { vllmItl } from '../src/definitions.js';
import { sampleReport } from './synthetic.js';
import { inGroup, svgElements, type SvgElement } from './svg-parse.js';

const input = sampleReport();
let figures: Map<string, SvgElement[]>;
let raw: HtmlFigure[];

beforeAll(async () => {
  raw = await renderFigures(input);
  figures = new Map(raw.map((f) => [f.name, svgElements(f.svg)]));
});

/** aria-labels of the axes, the chart title and legend labels of a figure. */
function anatomy(els: SvgElement[]) {
  const axes = els.filter((e) => e.attrs['aria-roledescription'] === 'axis').map((e) => e.attrs['aria-label']);
  const title = inGroup(els, 'role-title-text').map((e) => e.text).join('');
  const legendLabels = inGroup(els, 'role-legend-label').map((e) => e.text);
  const legends = els.filter((e) => e.attrs['aria-roledescription'] === 'legend').map((e) => e.attrs['aria-label']);
  return { axes, title, legendLabels, legends };
}

/** Mark items (paths, or lines for rules) of the mark groups of one mark type, e.g. 'mark-rect'. */
function marks(els: SvgElement[], type: string): SvgElement[] {
  return els.filter((e) => (e.tag === 'path' || e.tag === 'line') && e.ancestors[0]?.split(/\s+/).includes(type) && e.ancestors[0].includes('role-mark'));
}

/** Field values from a mark item's aria-label ("x: 1; y: 2; run: a"). */
function fields(e: SvgElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (e.attrs['aria-label'] ?? '').split('; ')) {
    const i = part.indexOf(': ');
    if (i > 0) out[part.slice(0, i)] = part.slice(i + 2);
  }
  return out;
}

describe('report SVGs', () => {
  it('renders the five plots as well-formed standalone SVG documents', () => {
    expect(raw.map((f) => f.name)).toEqual(['itl-by-position', 'itl-histogram', 'ttft-distribution', 'kv-utilisation', 'queue-depth']);
    for (const f of raw) {
      const root = svgElements(f.svg)[0];
      expect(root.tag).toBe('svg');
      expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
      expect(Number(root.attrs.width)).toBeGreaterThan(600);
      // Inlined together in one page, ids would collide.
      expect(f.svg).not.toMatch(/\sid="/);
    }
  });

  it('ITL histogram: log x axis, symlog y axis, both runs, and bar counts summing to every gap', () => {
    const els = figures.get('itl-histogram')!;
    const a = anatomy(els);
    expect(a.title).toBe('ITL histogram');
    expect(a.axes[0]).toMatch(/^X-axis titled 'inter-token latency \(ms, log scale\)' for a log scale/);
    expect(a.axes[1]).toMatch(/^Y-axis titled 'gaps \(symlog scale\)' for a symlog scale/);
    expect(a.legendLabels).toEqual(['steady', 'stutter']);
    const bars = marks(els, 'mark-rect');
    expect(bars.length).toBeGreaterThan(4);
    for (const run of input.runs) {
      const total = bars.filter((b) => fields(b).run === run.name).reduce((s, b) => s + Number(fields(b)['gaps (symlog scale)']), 0);
      expect(total).toBe(vllmItl(run.timeline).length);
    }
  });

  it('ITL vs position: one panel per run on a shared y axis, median and max lines, one point per spike labelled with its cause', () => {
    const els = figures.get('itl-by-position')!;
    const a = anatomy(els);
    // Panels are titled with their run, in run order.
    const panels = els.filter((e) => e.tag === 'text' && e.ancestors[0]?.includes('role-title-text') && e.ancestors[2]?.includes('role-scope cell'));
    expect(panels.map((e) => e.text)).toEqual(input.runs.map((r) => r.name));
    // Two panels side by side: one y axis for both (shared scale), an x axis under each.
    const y = a.axes.filter((l) => l.startsWith('Y-axis'));
    const x = a.axes.filter((l) => l.startsWith('X-axis'));
    expect(y).toHaveLength(1);
    expect(y[0]).toContain("Y-axis titled 'inter-token latency (ms, log scale)' for a log scale");
    expect(x).toHaveLength(input.runs.length);
    for (const l of x) expect(l).toContain("X-axis titled 'output token position'");
    // The shared y scale reaches the largest spike of any run.
    const top = Number(/values from [\d.]+ to ([\d,.]+)/.exec(y[0])![1].replace(/,/g, ''));
    expect(top).toBeGreaterThanOrEqual(Math.max(...input.runs.flatMap((r) => (r.spikes ?? []).map((s) => s.gapMs))));
    expect(a.legends.some((l) => l.includes("titled 'spike cause'"))).toBe(true);
    expect(a.legendLabels).toEqual(expect.arrayContaining(['median', 'max', 'v8-gc', 'kv-gc', 'prefill', 'unknown']));
    expect(marks(els, 'mark-line').length).toBe(4); // 2 runs × {median, max}
    const points = marks(els, 'mark-symbol');
    const spikes = input.runs.flatMap((r) => r.spikes ?? []);
    expect(spikes.length).toBeGreaterThan(3);
    expect(points.length).toBe(spikes.length);
    const causes = points.map((p) => fields(p)['spike cause']).sort();
    expect(causes).toEqual(spikes.map((s) => s.primary).sort());
    expect(new Set(causes)).toEqual(new Set(['kv-gc', 'prefill', 'unknown']));
  });

  it('TTFT distribution: CDF axes and the P50/P90/P99 markers of both runs', () => {
    const els = figures.get('ttft-distribution')!;
    const a = anatomy(els);
    expect(a.axes[0]).toContain("X-axis titled 'time to first token (ms)'");
    expect(a.axes[1]).toMatch(/Y-axis titled 'fraction of requests' for a linear scale with values from 0\.0 to 1\.0/);
    expect(marks(els, 'mark-line').length).toBe(2);
    const pts = marks(els, 'mark-symbol').map(fields);
    expect(pts.map((p) => `${p.run} ${p.percentile}`).sort()).toEqual(
      ['steady P50', 'steady P90', 'steady P99', 'stutter P50', 'stutter P90', 'stutter P99'].sort(),
    );
    const p99 = pts.find((p) => p.run === 'stutter' && p.percentile === 'P99')!;
    expect(Number(p99['time to first token (ms)'])).toBeCloseTo(input.runs[1].summary.ttft.p99, 6);
  });

  it('KV utilisation: percent axis, one line per run and a rule per KV GC cycle', () => {
    const els = figures.get('kv-utilisation')!;
    const a = anatomy(els);
    expect(a.axes[0]).toContain("X-axis titled 'time since run start (s)'");
    expect(a.axes[1]).toMatch(/Y-axis titled 'KV blocks used \(%\)' for a linear scale with values from 0 to 100/);
    expect(marks(els, 'mark-line').length).toBe(2);
    const rules = marks(els, 'mark-rule');
    expect(rules.length).toBe(input.runs[1].kvGcEvents!.length);
  });

  it('queue depth: waiting and running series for both runs', () => {
    const els = figures.get('queue-depth')!;
    const a = anatomy(els);
    expect(a.axes[1]).toContain("Y-axis titled 'requests'");
    expect(a.legendLabels).toEqual(expect.arrayContaining(['steady', 'stutter', 'waiting', 'running']));
    expect(marks(els, 'mark-line').length).toBe(4);
    // The y scale must reach the largest batch recorded.
    const top = Number(/values from 0 to (\d+)/.exec(a.axes[1])![1]);
    const maxRunning = Math.max(...input.runs.map((r) => r.summary.gauges!.running.max));
    expect(maxRunning).toBeGreaterThan(0);
    expect(top).toBeGreaterThanOrEqual(maxRunning);
  });
});
