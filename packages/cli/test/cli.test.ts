import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelPath } from '../../../testing/models.js';
import { legato } from './run-cli.js';

const refs = JSON.parse(readFileSync(modelPath('reference-greedy.json'), 'utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'legato-cli-'));

/**
 * A user mistake: one line on stderr naming the command, no stack trace; exit code 2 for a wrong
 * call (usage), 1 for input that cannot be used.
 */
function expectUserError(r: { code: number; stderr: string }, pattern: RegExp, code: 1 | 2 = 1): void {
  expect(r.code).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^legato \w+: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('legato run', () => {
  it('--json prints prompt ids, greedy ids, text and timings', () => {
    const r = legato(['run', modelPath('stories260K.gguf'), '-p', 'Once upon a time', '-n', '20', '--temp', '0', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const ref = refs['stories260K.gguf'];
    expect(out.prompt_ids).toEqual(ref.prompt_ids_llamacpp);
    expect(out.ids).toEqual(ref.numpy_greedy_ids.slice(0, 20));
    expect(ref.numpy_greedy_text.startsWith(out.text)).toBe(true);
    expect(out.text.length).toBeGreaterThan(40);
    expect(out.ttft_ms).toBeGreaterThan(0);
    expect(out.tokens_per_s).toBeGreaterThan(0);
    expect(out.itl_ms).toHaveLength(19);
    for (const g of out.itl_ms) expect(g).toBeGreaterThanOrEqual(0);
  });

  it('streams text and prints a summary; same seed gives the same sample', () => {
    const a = legato(['run', modelPath('stories260K.gguf'), '-p', 'Once upon a time', '-n', '24', '--temp', '1', '--seed', '5']);
    const b = legato(['run', modelPath('stories260K.gguf'), '-p', 'Once upon a time', '-n', '24', '--temp', '1', '--seed', '5']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stderr).toMatch(/TTFT [\d.]+ ms/);
    expect(a.stderr).toMatch(/decode [\d.]+ tok\/s/);
  });

  it('rejects bad input with one line and exit 1 (bad data) or 2 (bad call)', () => {
    expectUserError(legato(['run', join(tmp, 'missing.gguf'), '-p', 'x']), /not found/);
    expectUserError(legato(['run', modelPath('stories260K.gguf')]), /missing -p/, 2);
    expectUserError(legato(['run', modelPath('stories260K.gguf'), '-p', 'x', '-n', 'many']), /-n must be a non-negative integer, got many/, 2);
    expectUserError(legato(['run', modelPath('stories260K.gguf'), '-p', 'x', '--frob']), /unknown option --frob \(see legato run --help\)/, 2);
    expectUserError(legato(['run', modelPath('legacy/tinyllamas-stories-260k-q8_0.gguf'), '-p', 'x']), /not a multiple of the block size/);
    const notGguf = join(tmp, 'text.gguf');
    writeFileSync(notGguf, 'hello, not a model');
    expectUserError(legato(['run', notGguf, '-p', 'x']), /not a GGUF file/);
    expectUserError(legato(['run', modelPath('stories260K.gguf'), '-p', 'Once upon a time '.repeat(100), '--ctx', '64']), /does not fit the context/);
    expectUserError(legato(['frobnicate']), /unknown command/, 2);
  });
});

describe('legato tokenize / inspect / eval', () => {
  it('tokenize matches llama-tokenize --ids', () => {
    const r = legato(['tokenize', modelPath('TinyLLama-v0-Q4_0.gguf'), 'Once upon a time']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split(' ').map(Number)).toEqual(refs['TinyLLama-v0-Q4_0.gguf'].prompt_ids_llamacpp);
    const nobos = legato(['tokenize', modelPath('TinyLLama-v0-Q4_0.gguf'), 'Once upon a time', '--no-bos']);
    expect(nobos.stdout.trim().split(' ').map(Number)).toEqual(refs['TinyLLama-v0-Q4_0.gguf'].prompt_ids_llamacpp.slice(1));
    const special = legato(['tokenize', modelPath('TinyLLama-v0-Q4_0.gguf'), '<s>Once', '--no-bos', '--parse-special']);
    expect(special.stdout.trim().split(' ').map(Number)[0]).toBe(1);
  });

  it('inspect prints metadata and a tensor table', () => {
    const r = legato(['inspect', modelPath('TinyLLama-v0-Q4_K_M.gguf')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/general\.architecture = "llama"/);
    expect(r.stdout).toMatch(/blk\.0\.ffn_down\.weight\s+Q6_K\s+\[256, 64\]\s+\d+/);
    expect(r.stdout).toMatch(/token_embd\.weight\s+Q4_0\s+\[64, 32000\]\s+1152000/);
  });

  it('eval --json gives the next-token top-k for every position', () => {
    const ref = refs['TinyStories-656K-F32.gguf'];
    const ids = ref.prompt_ids_llamacpp;
    const r = legato(['eval', modelPath('TinyStories-656K-F32.gguf'), '--ids', ids.join(','), '--top', '5', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.positions.map((p: { pos: number }) => p.pos)).toEqual(ids.map((_: number, i: number) => i));
    const last = out.positions[ids.length - 1].top;
    expect(last.map((t: number[]) => t[0])).toEqual(ref.numpy_first_step_top5.map((t: number[]) => t[0]));
    for (let i = 0; i < 5; i++) expect(last[i][1]).toBeCloseTo(ref.numpy_first_step_top5[i][1], 2);
    expectUserError(legato(['eval', modelPath('stories260K.gguf'), '--ids', '1,x']), /--ids/, 2);
    expectUserError(legato(['eval', modelPath('stories260K.gguf'), '--ids', '1,99999']), /outside the vocabulary/);
  });
});
