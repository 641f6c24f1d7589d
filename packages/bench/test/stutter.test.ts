import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type LlamaModel } from '@legato/core';
import { DEFAULT_STUTTER_RUNS, runStutterLab, stutterJson, writeStutterReport, type StutterLabResult, type StutterRunResult } from '../src/index.js';
import { tinyModelFile } from './tiny-model.js';

const N = 10;
let model: LlamaModel;
let lab: StutterLabResult;

beforeAll(async () => {
  model = await loadModel(await tinyModelFile());
  lab = await runStutterLab(model, {
    users: 2,
    turns: 2,
    tokens: 40,
    interval: N,
    // ~16 KiB blocks: 12 288 of them, so a full sweep reads back 192 MiB (tens of ms) while a
    // decode step of this model takes about a millisecond.
    kvMemoryBytes: 192 * 1024 ** 2,
    runs: DEFAULT_STUTTER_RUNS,
    repeats: 2,
    // Unpaced: on this tiny model a decode step takes about a millisecond, so the pauses stand out.
    stepMs: 0,
    churn: { objectsPerToken: 20_000, retained: 1_000_000 },
  });
}, 180_000);
afterAll(() => model?.dispose());

/** The first repeat of a configuration. */
const run = (name: string): StutterRunResult => {
  const r = lab.runs.find((x) => x.name === name && x.repeat === 0);
  if (!r) throw new Error(`no run ${name}`);
  return r;
};

describe('the GC-stutter experiment (tiny model)', () => {
  it('runs every configuration over the same workload, repeats interleaved (A B C D E A B C D E)', () => {
    const names = ['off', 'eager', `periodic:${N}`, 'incremental', 'off+alloc'];
    expect(lab.runs.map((r) => `${r.name}#${r.repeat}`)).toEqual([...names.map((n) => `${n}#0`), ...names.map((n) => `${n}#1`)]);
    expect(lab.runs.map((r) => r.order)).toEqual(lab.runs.map((_, i) => i));
    expect(lab.setup.repeats).toBe(2);
    expect(lab.conclusion.spreads.map((s) => [s.name, s.repeats])).toEqual(names.map((n) => [n, 2]));
    const tokens = lab.runs.map((r) => r.analysis.row.tokens);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).toBe(lab.runs[0].turns.reduce((a, t) => a + t.outputTokens, 0));
    // Later turns reuse the conversation so far from the prefix cache.
    expect(lab.runs[0].turns.filter((t) => t.turn > 0).every((t) => t.cachedPromptTokens > 0)).toBe(true);
  });

  it('periodic GC: pauses are full sweeps doing real work, and they stall each reply every N tokens', () => {
    const p = run(`periodic:${N}`);
    const sweeps = p.gcEvents.filter((e) => e.reason === 'interval');
    expect(sweeps.length).toBeGreaterThanOrEqual(4);
    for (const e of sweeps) {
      // Every free block was read back (the pool is nearly all free), so the pause is work, not a sleep.
      expect(e.blocksVerified).toBeGreaterThan(0.9 * lab.setup.kvBlocks);
      expect(e.durationMs).toBeGreaterThan(0);
    }
    expect(p.gcEvents.reduce((a, e) => a + e.bytesScrubbed, 0)).toBeGreaterThan(0);
    // Sweeps run every N engine steps.
    for (let i = 1; i < sweeps.length; i++) expect(sweeps[i].step - sweeps[i - 1].step).toBe(N);

    // Spikes that hold a sweep: a pause lies inside one gap, so a kv-gc spike much shorter than a
    // sweep only touches one's edge (jitter next to it).
    const sweepMs = sweeps.map((e) => e.durationMs).sort((a, b) => a - b)[sweeps.length >> 1];
    const spikes = p.collected.spikes.filter((s) => s.primary === 'kv-gc' && s.gapMs >= 0.5 * sweepMs);
    expect(spikes.length).toBeGreaterThanOrEqual(4);
    // Within a request, the kv-gc spikes sit a multiple of N tokens apart.
    const byRequest = new Map<string | number, number[]>();
    for (const s of spikes) byRequest.set(s.requestId, [...(byRequest.get(s.requestId) ?? []), s.tokenIndex]);
    let pairs = 0;
    let onGrid = 0;
    for (const idx of byRequest.values()) {
      for (let i = 1; i < idx.length; i++) {
        pairs++;
        const off = (idx[i] - idx[0]) % N;
        if (off <= 1 || off >= N - 1) onGrid++;
      }
    }
    expect(pairs).toBeGreaterThanOrEqual(2);
    expect(onGrid / pairs).toBeGreaterThanOrEqual(0.9);
    // Each spike's gap contains a sweep.
    for (const s of spikes) expect(sweeps.some((e) => e.startTime < s.gapEnd && e.startTime + e.durationMs > s.gapStart)).toBe(true);
  });

  it('incremental GC does the same cleanup without the stalls', () => {
    const P = run(`periodic:${N}`).analysis;
    const I = run('incremental').analysis;
    // Stalls: kv-gc spikes at least half a sweep long. (Slices run every step and so overlap
    // every gap: jitter in the incremental run is labelled kv-gc too, but it is no stall.)
    const stall = 0.5 * P.work.medianPauseMs;
    const stalls = (r: typeof P) => r.kvGcSpikeGapsMs.filter((g) => g >= stall).length;
    expect(stalls(P)).toBeGreaterThanOrEqual(4);
    expect(stalls(I)).toBeLessThan(stalls(P));
    expect(I.row.itl_max_ms).toBeLessThan(P.row.itl_max_ms);
    // Its cycles are slices of the sweep's work: at most 1/N of the pool verified in each.
    const slices = run('incremental').gcEvents;
    expect(slices.length).toBeGreaterThan(N);
    expect(Math.max(...slices.map((e) => e.blocksVerified))).toBeLessThanOrEqual(Math.ceil(lab.setup.kvBlocks / N));
    // Same work: the whole pool verified every interval, and at least as many blocks scrubbed.
    expect(I.work.blocksVerified).toBeGreaterThan(0.5 * P.work.blocksVerified);
    expect(I.row.reclaimed_blocks).toBeGreaterThanOrEqual(P.row.reclaimed_blocks);
  });

  it('allocation-heavy decoding brings V8 collections into the token gaps', () => {
    const heavy = run('off+alloc');
    const plain = run('off');
    expect(heavy.analysis.row.spikes.v8_gc).toBeGreaterThan(0);
    expect(heavy.analysis.row.spikes.v8_gc).toBeGreaterThan(plain.analysis.row.spikes.v8_gc);
    expect(heavy.collected.v8GcEvents.length).toBeGreaterThan(plain.collected.v8GcEvents.length);
  });

  it('writes a report: HTML, Markdown, SVG plots, JSON with raw timelines, and the summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'legato-lab-report-'));
    const files = await writeStutterReport(dir, lab);
    for (const f of [files.html, files.markdown, files.json, files.summary, files.experiment, ...files.svgs]) expect(existsSync(f)).toBe(true);
    expect(files.svgs.length).toBeGreaterThanOrEqual(4);
    const summary = JSON.parse(readFileSync(files.summary, 'utf8'));
    expect(summary).toEqual(JSON.parse(JSON.stringify(stutterJson(lab, files.html))));
    expect(summary.conclusions.map((c: { id: string }) => c.id)).toEqual(lab.conclusion.findings.map((f) => f.id));
    const report = JSON.parse(readFileSync(files.json, 'utf8'));
    expect(JSON.stringify(report).length).toBeGreaterThan(1000);
    const html = readFileSync(files.html, 'utf8');
    expect(html).toContain('<svg');

    // It leads with the conclusions as a ✓/✗ list, then the spread over repeats, then the
    // ITL-by-position plot; the standard tables come after.
    const at = (needle: string) => {
      const i = html.indexOf(needle);
      expect(i, needle).toBeGreaterThan(0);
      return i;
    };
    expect(at('<h2>Conclusions</h2>')).toBeLessThan(at('<h2>Spread over 2 interleaved repeats</h2>'));
    expect(at('<h2>Spread over 2 interleaved repeats</h2>')).toBeLessThan(at('id="fig-itl-by-position"'));
    expect(at('id="fig-itl-by-position"')).toBeLessThan(at('<h2>Throughput and smoothness</h2>'));
    const items = html.match(/<li class="(holds|fails|undecided)"><span class="mark">[✓✗?]<\/span>/g) ?? [];
    expect(items).toHaveLength(lab.conclusion.findings.length);

    // One panel per run (configuration × repeat), titled with the run.
    const fig = html.slice(at('id="fig-itl-by-position"'), html.indexOf('</figure>', at('id="fig-itl-by-position"')));
    const labels = ['off', 'eager', `periodic:${N}`, 'incremental', 'off+alloc'].flatMap((n) => [`${n} #1`, `${n} #2`]);
    // A title per panel, and the chart's own.
    expect(fig.match(/class="mark-text role-title-text"/g)).toHaveLength(labels.length + 1);
    for (const l of labels) expect(fig).toContain(`>${l}</text>`);

    const md = readFileSync(files.markdown, 'utf8');
    const mdLines = md.split('\n');
    expect(mdLines[2]).toBe('## Conclusions');
    expect(mdLines[4]).toMatch(/^- [✓✗?] \*\*/);
    expect(md.indexOf('## Conclusions')).toBeLessThan(md.indexOf('![')); // the plot follows the conclusions
    expect(md.indexOf('itl-by-position.svg')).toBeLessThan(md.indexOf('## Throughput and smoothness'));
  }, 60_000);
});

describe('paced decoding', () => {
  it('each step idles up to the target step time, and the pauses come on top', async () => {
    const paced = await runStutterLab(model, {
      users: 2, turns: 1, tokens: 24, interval: 10, kvMemoryBytes: 48 * 1024 ** 2,
      runs: [{ policy: 'off', mode: 'normal' }], repeats: 1, stepMs: 25,
    });
    const p = paced.setup.pacing;
    expect(p.targetStepMs).toBe(25);
    expect(p.computeStepMs).toBeGreaterThan(0);
    expect(p.computeStepMs).toBeLessThan(15);
    // A decode step of this model takes a few milliseconds unpaced; the pacing tops it up.
    expect(paced.runs[0].meanIdleMs).toBeGreaterThan(10);
    const row = paced.runs[0].analysis.row;
    expect(row.itl_p50_ms).toBeGreaterThan(22);
    expect(row.itl_p50_ms).toBeLessThan(40);
  }, 60_000);
});
