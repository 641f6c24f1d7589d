import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizeModel } from '@legato/core/synth';
import { parseLlamaBenchTable } from '@legato/bench';
import { legato } from './run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'legato-bench-cli-'));
const model = join(tmp, 'tiny.gguf');

beforeAll(async () => {
  await synthesizeModel(model, {
    shape: { name: 'bench-tiny', dim: 64, nLayers: 2, nHeads: 4, nKVHeads: 4, ffnDim: 128, vocabSize: 512, contextLength: 512, rmsEps: 1e-5, ropeFreqBase: 10000 },
    type: 'Q8_0',
    seed: 5,
  });
});

describe('legato bench', () => {
  it("runs llama-bench's tests and prints its table", () => {
    const out = join(tmp, 'llama-bench');
    const r = legato(['bench', '-m', model, '-p', '16,32', '-n', '8', '--pg', '16,8', '-r', '3', '--out', out]);
    expect(r.code).toBe(0);
    const rows = parseLlamaBenchTable(r.stdout);
    expect(rows.map((x) => x.test)).toEqual(['pp16', 'pp32', 'tg8', 'pp16+tg8']);
    for (const x of rows) {
      expect(x.ts).toBeGreaterThan(0);
      expect(x.stdev).toBeGreaterThanOrEqual(0);
      expect(x.model).toMatch(/^llama \d+K Q8_0$/);
      expect(x.cells.threads).toMatch(/^\d+$/);
    }
    const json = JSON.parse(readFileSync(join(out, 'llama-bench.json'), 'utf8'));
    expect(json).toHaveLength(4);
    expect(json[0].samples_ts).toHaveLength(3);
    // The table's t/s is the mean of the repetitions' tokens/s.
    const mean = json[0].samples_ts.reduce((a: number, b: number) => a + b, 0) / 3;
    expect(rows[0].ts).toBeCloseTo(mean, 1);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });

  it('serve: a load at a Poisson rate with goodput, measured per request', () => {
    const out = join(tmp, 'serve');
    const r = legato([
      'bench', 'serve', '-m', model, '--num-prompts', '8', '--input-len', '24', '--output-len', '12', '--range-ratio', '0.5',
      '--request-rate', '50', '--max-concurrency', '3', '--goodput', 'ttft:60000', '--goodput', 'e2el:0.001', '--json', '--out', out,
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.completed).toBe(8);
    expect(j.failed).toBe(0);
    expect(j.requests).toHaveLength(8);
    expect(j.totalOutputTokens).toBe(j.requests.reduce((a: number, x: { outputTokens: number }) => a + x.outputTokens, 0));
    // An E2E objective of 1 µs is met by no request.
    expect(j.goodput).toMatchObject({ good: 0, total: 8 });
    expect(existsSync(j.report)).toBe(true);
  });

  it('serve: a fixed concurrency; every request meets a generous SLO', () => {
    const r = legato(['bench', 'serve', '-m', model, '--num-prompts', '6', '--input-len', '16', '--output-len', '8', '--max-concurrency', '2', '--goodput', 'ttft:60000', 'tpot:60000', '--out', join(tmp, 'serve2')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Serving Benchmark Result/);
    expect(r.stdout).toMatch(/Successful requests:\s+6/);
    expect(r.stdout).toMatch(/Requests meeting every SLO:\s+6\/6/);
  });

  it('rejects bad input with one line and exit 1', () => {
    for (const [args, pattern] of [
      [['bench', '-m', model, '-p', 'lots'], /--n-prompt/],
      [['bench', '-m', model, '--pg', '512'], /--pg/],
      [['bench', 'serve', '-m', model, '--goodput', 'itl:5'], /--goodput/],
      [['bench', 'serve', '-m', model, '--request-rate', '0'], /--request-rate/],
      [['bench', 'serve', '-m', model, 'extra'], /unexpected argument/],
    ] as [string[], RegExp][]) {
      const r = legato(args);
      expect(r.code).toBe(2); // a usage error
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^legato bench: /);
      expect(r.stderr).toMatch(pattern);
    }
  });
});
