/**
 * `legato demo`: its first output is a sample from the trained model shipped in the package
 * (checked against llama.cpp's greedy text), then the lab on a model labelled for what it is.
 * The lab part runs here on a tiny synthesized model, one unpaced repeat, to stay short.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizeModel } from '@legato/core/synth';
import { modelPath, REPO_ROOT } from '../../../testing/models.js';
import { legato } from './run-cli.js';

const CLI = resolve(REPO_ROOT, 'packages/cli');
const tmp = mkdtempSync(join(tmpdir(), 'legato-demo-'));
const labModel = join(tmp, 'tiny.gguf');

beforeAll(async () => {
  await synthesizeModel(labModel, {
    shape: { name: 'lab-tiny', dim: 64, nLayers: 2, nHeads: 4, nKVHeads: 4, ffnDim: 128, vocabSize: 512, contextLength: 512, rmsEps: 1e-5, ropeFreqBase: 10000 },
    type: 'F32',
    seed: 3,
  });
});

const sha256 = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('the embedded trained model', () => {
  it('is the shared stories260K.gguf byte for byte, with its provenance, and ships in the package', () => {
    const asset = join(CLI, 'assets/stories260K.gguf');
    expect(sha256(asset)).toBe(sha256(modelPath('stories260K.gguf')));
    const provenance = readFileSync(join(CLI, 'assets/PROVENANCE.md'), 'utf8');
    expect(provenance).toContain(sha256(asset));
    expect(provenance).toContain('MIT (karpathy/tinyllamas model card; llama2.c is MIT)');
    expect(provenance).toContain('`cozy-creator/python-gen-worker` `tests/testdata/stories260K.gguf` @ `9a9e5e751dbb0d5dd49ba1f34a0a142e8c31e430`');
    const pkg = JSON.parse(readFileSync(join(CLI, 'package.json'), 'utf8'));
    expect(pkg.files).toContain('assets');
  });
});

describe('legato demo', () => {
  it('opens with a greedy sample from the trained model, then labels the lab model: random weights, real timing', () => {
    const out = join(tmp, 'report');
    const r = legato(['demo', '-n', '32', '--lab-model', labModel, '--repeats', '1', '--step-ms', '0', '--out', out], { timeoutMs: 240_000 });
    expect(r.code).toBe(0);
    // llama.cpp's llama-simple prints this greedy continuation for stories260K (reference-greedy.json).
    const reference = JSON.parse(readFileSync(modelPath('reference-greedy.json'), 'utf8'))['stories260K.gguf'];
    const expected = `${reference.prompt}${reference.numpy_greedy_text}`;
    expect(reference.llamacpp_simple_output).toContain(expected);
    const sample = r.stdout.indexOf(expected);
    expect(sample).toBeGreaterThan(0);
    expect(r.stdout.slice(0, sample)).toMatch(/A sample from a trained model: stories260K/);
    // Then the lab model, named for what it is, before any of the experiment's output.
    const label = r.stdout.indexOf('random weights, real timing');
    expect(label).toBeGreaterThan(sample);
    expect(label).toBeLessThan(r.stdout.indexOf('The GC-stutter experiment'));
    expect(r.stdout).toMatch(/^\d of \d claims hold/m);
    expect(r.stdout).toMatch(/^report: .*report\.html$/m);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  }, 300_000);

  it('rejects --shape with --lab-model, and a missing lab model, before sampling anything', () => {
    const both = legato(['demo', '--lab-model', labModel, '--shape', 'stories42m']);
    expect(both.code).toBe(2);
    expect(both.stdout).toBe('');
    const missing = legato(['demo', '--lab-model', join(tmp, 'missing.gguf')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not found/);
    expect(missing.stdout).toBe('');
  });
});
