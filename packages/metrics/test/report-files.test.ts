import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport, type WrittenReport } from '../src/report/write.js';
import { REPORT_SCHEMA } from '../src/report/json.js';
import { markdownTable, renderMarkdown } from '../src/report/markdown.js';
import { escapeHtml, renderHtml } from '../src/report/html.js';
import { fmt } from '../src/report/tables.js';
import { sampleReport } from './synthetic.js';

const input = sampleReport();
let dir: string;
let out: WrittenReport;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'legato-metrics-'));
  out = await writeReport(join(dir, 'nested', 'report'), input);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeReport', () => {
  it('writes JSON with every raw token time and the summaries', async () => {
    const j = JSON.parse(await readFile(out.json, 'utf8'));
    expect(j.schema).toBe(REPORT_SCHEMA);
    expect(j.title).toBe(input.title);
    expect(j.meta).toEqual({ model: 'synthetic', threads: 2 });
    expect(j.runs.map((r: { name: string }) => r.name)).toEqual(['steady', 'stutter']);
    const run = j.runs[1];
    const src = input.runs[1];
    expect(run.timeline.length).toBe(src.timeline.length);
    expect(run.timeline[3].tokenTimes).toEqual(Array.from(src.timeline[3].tokenTimes));
    expect(run.summary.itl.p99).toBe(src.summary.itl.p99);
    expect(run.summary.spikes.byCause).toEqual(src.summary.spikes.byCause);
    expect(run.gauges.length).toBe(src.gauges!.length);
    expect(run.gauges.kvUtilisation).toEqual(Array.from(src.gauges!.kvUtilisation));
    expect(run.kvGcEvents).toEqual(src.kvGcEvents);
    expect(run.spikes.length).toBe(src.spikes!.length);
    // NaN (no queue time recorded) serialises as null, not as an invalid token.
    expect(run.summary.queueTime.mean).toBeNull();
  });

  it('writes Markdown tables with one row per run and the plots linked', async () => {
    const md = await readFile(out.markdown, 'utf8');
    expect(md.startsWith(`# ${input.title}\n`)).toBe(true);
    expect(md).toContain('## TTFT (ms)');
    expect(md).toContain('## ITL (LLMPerf, per-request mean) (ms)');
    const ttftRow = md.split('\n').find((l) => l.startsWith('| stutter |') && l.includes(fmt(input.runs[1].summary.ttft.p99)));
    expect(ttftRow).toBeDefined();
    expect(md).toContain('| run | count | mean | std | P50 | P90 | P95 | P99 | max |');
    expect(md).toContain('| --- | ---: | ---: |');
    expect(md).toContain('![Inter-token latency histogram');
    expect(md).toContain('(itl-histogram.svg)');
    expect(md).toMatch(/## Largest spikes \(top \d+ of \d+\)/);
  });

  it('writes one SVG file per plot and an HTML page inlining all of them', async () => {
    expect(out.svgs.map((p) => p.slice(p.lastIndexOf('/') + 1))).toEqual([
      'itl-by-position.svg',
      'itl-histogram.svg',
      'ttft-distribution.svg',
      'kv-utilisation.svg',
      'queue-depth.svg',
    ]);
    const html = await readFile(out.html, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain(`<title>${escapeHtml(input.title)}</title>`);
    expect(html).not.toContain('<sample>');
    expect((html.match(/<svg[\s>]/g) ?? []).length).toBe(5);
    for (const p of out.svgs) {
      const svg = await readFile(p, 'utf8');
      expect(html).toContain(svg.slice(svg.indexOf('<svg'), svg.indexOf('<svg') + 200));
    }
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });
});

describe('table rendering', () => {
  it('escapes pipes in Markdown cells and marks numeric columns right-aligned', () => {
    const md = markdownTable({ title: 't', columns: ['a|b', 'n'], numeric: [false, true], rows: [['x|y', '1.00']] });
    expect(md).toBe('| a\\|b | n |\n| --- | ---: |\n| x\\|y | 1.00 |');
  });

  it('formats numbers by magnitude and NaN as a dash', () => {
    expect([fmt(NaN), fmt(undefined), fmt(1234.5), fmt(123.45), fmt(1.2345), fmt(0.5, 3)]).toEqual(['–', '–', '1235', '123.5', '1.23', '0.500']);
  });
});

describe('a report that leads with its conclusions', () => {
  const lead = {
    ...input,
    conclusions: [
      { mark: '✓' as const, claim: 'the stutter run stalls', evidence: 'P99 ITL 120 vs 20 ms' },
      { mark: '✗' as const, claim: 'mean tokens/s hides it' },
      { mark: '?' as const, claim: 'smoothness is lower — too noisy to conclude', evidence: 'spread 40 % over 3 repeats' },
    ],
    leadTables: [{ title: 'Spread over 3 repeats', columns: ['run', 'mean TPS'], numeric: [false, true], rows: [['steady', '50.0 (49.0–51.0)']] }],
  };

  it('HTML: the ✓/✗ list first, then the lead table, then the ITL-by-position plot, then the standard tables', () => {
    const figures = [
      { name: 'itl-by-position', title: 'ITL by position', svg: '<svg>position</svg>' },
      { name: 'itl-histogram', title: 'ITL histogram', svg: '<svg>histogram</svg>' },
    ];
    const html = renderHtml(lead, figures);
    const at = (s: string) => html.indexOf(s);
    expect(at('<h2>Conclusions</h2>')).toBeGreaterThan(at('<h1>'));
    expect(html).toContain('<li class="holds"><span class="mark">✓</span><strong>the stutter run stalls</strong><span class="evidence">P99 ITL 120 vs 20 ms</span></li>');
    expect(html).toContain('<li class="fails"><span class="mark">✗</span><strong>mean tokens/s hides it</strong></li>');
    expect(html).toContain('<li class="undecided"><span class="mark">?</span>');
    expect(at('<h2>Conclusions</h2>')).toBeLessThan(at('<h2>Spread over 3 repeats</h2>'));
    expect(at('<h2>Spread over 3 repeats</h2>')).toBeLessThan(at('<svg>position</svg>'));
    expect(at('<svg>position</svg>')).toBeLessThan(at('<h2>Throughput and smoothness</h2>'));
    expect(at('<h2>Throughput and smoothness</h2>')).toBeLessThan(at('<svg>histogram</svg>'));
  });

  it('Markdown: the same order, the conclusions as a list with their marks', () => {
    const md = renderMarkdown(lead, [
      { file: 'itl-by-position.svg', title: 'ITL by position' },
      { file: 'itl-histogram.svg', title: 'ITL histogram' },
    ]);
    const lines = md.split('\n');
    expect(lines.slice(0, 7)).toEqual([
      `# ${input.title}`,
      '',
      '## Conclusions',
      '',
      '- ✓ **the stutter run stalls** — P99 ITL 120 vs 20 ms',
      '- ✗ **mean tokens/s hides it**',
      '- ? **smoothness is lower — too noisy to conclude** — spread 40 % over 3 repeats',
    ]);
    const at = (s: string) => md.indexOf(s);
    expect(at('## Spread over 3 repeats')).toBeLessThan(at('(itl-by-position.svg)'));
    expect(at('(itl-by-position.svg)')).toBeLessThan(at('## Throughput and smoothness'));
    expect(at('## Throughput and smoothness')).toBeLessThan(at('(itl-histogram.svg)'));
  });
});
