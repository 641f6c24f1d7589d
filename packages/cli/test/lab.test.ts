import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizeModel } from '@legato/core/synth';
import { legato } from './run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'legato-lab-cli-'));
const model = join(tmp, 'tiny.gguf');

beforeAll(async () => {
  await synthesizeModel(model, {
    shape: { name: 'lab-tiny', dim: 64, nLayers: 2, nHeads: 4, nKVHeads: 4, ffnDim: 128, vocabSize: 512, contextLength: 512, rmsEps: 1e-5, ropeFreqBase: 10000 },
    type: 'F32',
    seed: 3,
  });
});

const ROW_KEYS = [
  'policy', 'mode', 'tokens', 'mean_tps', 'ttft_ms', 'itl_p50_ms', 'itl_p95_ms', 'itl_p99_ms', 'itl_max_ms',
  'smoothness', 'gc_cycles', 'gc_pause_p99_ms', 'reclaimed_blocks', 'spikes', 'repeat',
].sort();

describe('legato lab stutter', () => {
  it('--json prints {runs, spreads, conclusions, summary, report}: a row per run in the interleaved order, and the report is written', () => {
    const out = join(tmp, 'report');
    const r = legato([
      'lab', 'stutter', '--model', model, '--users', '2', '--turns', '1', '--tokens', '30', '--interval', '10',
      '--kv-memory', '48MiB', '--repeats', '2', '--step-ms', '0', '--json', '--out', out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j).sort()).toEqual(['conclusions', 'report', 'runs', 'spreads', 'summary']);
    const configs = ['off/normal', 'eager/normal', 'periodic/normal', 'incremental/normal', 'off/alloc-heavy'];
    expect(j.runs.map((x: { policy: string; mode: string; repeat: number }) => `${x.policy}/${x.mode}#${x.repeat}`)).toEqual([
      ...configs.map((c) => `${c}#0`),
      ...configs.map((c) => `${c}#1`),
    ]);
    for (const row of j.runs) {
      expect(Object.keys(row).sort()).toEqual(ROW_KEYS);
      expect(Object.keys(row.spikes).sort()).toEqual(['kv_gc', 'prefill', 'unknown', 'v8_gc']);
      for (const k of ROW_KEYS.filter((k) => k !== 'policy' && k !== 'mode' && k !== 'spikes')) expect(typeof row[k]).toBe('number');
      expect(row.tokens).toBeGreaterThan(0);
    }
    expect(j.spreads.map((s: { name: string; repeats: number }) => `${s.name}×${s.repeats}`)).toEqual(['off×2', 'eager×2', 'periodic:10×2', 'incremental×2', 'off+alloc×2']);
    for (const s of j.spreads) expect(s.meanTps.min).toBeLessThanOrEqual(s.meanTps.max);
    for (const c of j.conclusions) expect(['holds', 'fails', 'too-noisy']).toContain(c.verdict);
    expect(j.report).toBe(join(out, 'report.html'));
    expect(existsSync(j.report)).toBe(true);
    expect(readFileSync(j.report, 'utf8')).toContain('GC-stutter');
    for (const f of ['report.json', 'report.md', 'summary.json', 'itl-histogram.svg']) expect(existsSync(join(out, f))).toBe(true);
  });

  it('prints the table and the conclusion without --json; --policies and --no-alloc-heavy pick the runs', () => {
    const r = legato([
      'lab', 'stutter', '--model', model, '--users', '2', '--turns', '1', '--tokens', '30', '--interval', '10',
      '--kv-memory', '48MiB', '--policies', 'periodic,incremental', '--no-alloc-heavy', '--repeats', '1', '--step-ms', '0',
      '--out', join(tmp, 'report2'),
    ]);
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^\| (periodic|incremental|off|eager)/.test(l));
    expect(rows.map((l) => l.split('|')[1].trim())).toEqual(['periodic:10', 'incremental']);
    expect(r.stdout).toMatch(/^[✓✗?] (\(too noisy to conclude\) )?periodic GC stalls the streams every 10 tokens/m);
    expect(r.stdout).toMatch(/^\d of \d claims hold.* one repeat per configuration, so no spread was measured\.$/m);
    expect(r.stdout).toMatch(/^report: .*report\.html$/m);
  });

  it('rejects bad input with one line and exit 1 (bad data) or 2 (bad call)', () => {
    for (const [args, pattern, code] of [
      [['lab', 'frobnicate'], /unknown experiment/, 2],
      [['lab', 'stutter', '--model', join(tmp, 'missing.gguf')], /not found/, 1],
      [['lab', 'stutter', '--policies', 'sometimes'], /--policies/, 2],
      [['lab', 'stutter', '--kv-memory', 'lots'], /--kv-memory/, 2],
      [['lab', 'stutter', '--shape', 'huge'], /unknown --shape/, 2],
      [['lab', 'stutter', '--model', model, '--kv-memory', '64KiB'], /KV pool of \d+ blocks cannot hold/, 2],
    ] as [string[], RegExp, number][]) {
      const r = legato(args);
      expect(r.code).toBe(code);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^legato lab: /);
      expect(lines[0]).toMatch(pattern);
    }
  });
});
