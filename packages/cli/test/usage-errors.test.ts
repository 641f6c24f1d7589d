/**
 * How `legato` treats a wrong call: one line naming the flag and the command's --help, exit
 * code 2, and no model code loaded to say so. `--help` loads nothing heavy either.
 */
import { describe, expect, it } from 'vitest';
import { modelPath } from '../../../testing/models.js';
import { legato, type CliResult } from './run-cli.js';

/** Modules no help text or argument check may load: the model code and its dependencies. */
const HEAVY = /\/packages\/(core|quant|kvcache|metrics|bench|server)\/|\/node_modules\/(\.pnpm\/)?(piscina|vega|@huggingface)/;

function expectUsageError(r: CliResult, message: string | RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  if (typeof message === 'string') expect(lines[0]).toBe(message);
  else expect(lines[0]).toMatch(message);
  expect(r.stdout).toBe('');
}

describe('legato: usage errors', () => {
  const model = modelPath('stories260K.gguf');

  it('a negative -n or --temp is a range error naming the flag, not a parse error about another option', () => {
    expectUsageError(legato(['run', model, '-p', 'x', '-n', '-5']), 'legato run: -n must be a non-negative integer, got -5');
    expectUsageError(legato(['run', model, '-p', 'x', '--n-predict', '-5']), 'legato run: -n must be a non-negative integer, got -5');
    expectUsageError(legato(['run', model, '-p', 'x', '--temp', '-1']), 'legato run: --temp must be a number >= 0, got -1');
    expectUsageError(legato(['run', model, '-p', 'x', '-n', '2.5']), 'legato run: -n must be a non-negative integer, got 2.5');
    expectUsageError(legato(['run', model, '-p', 'x', '--top-p', '1.5']), 'legato run: --top-p must be a number in [0, 1], got 1.5');
    expectUsageError(legato(['run', model, '-p', 'x', '--seed', '-1']), 'legato run: --seed must be a non-negative integer, got -1');
    expectUsageError(legato(['serve', model, '--port', '-3']), 'legato serve: --port must be a non-negative integer, got -3');
    expectUsageError(legato(['bench', 'serve', '--url', 'http://127.0.0.1:9', '--concurrency', '-2']), 'legato bench: --concurrency must be a positive integer, got -2');
  });

  it('an unknown option names itself and the command help', () => {
    expectUsageError(legato(['run', model, '-p', 'x', '--foo']), 'legato run: unknown option --foo (see legato run --help)');
    expectUsageError(legato(['run', model, '-p', 'x', '-z']), 'legato run: unknown option -z (see legato run --help)');
    expectUsageError(legato(['tokenize', model, 'x', '--bos']), 'legato tokenize: unknown option --bos (see legato tokenize --help)');
    expectUsageError(legato(['synth', 'extra']), 'legato synth: unexpected argument "extra" (see legato synth --help)');
    expectUsageError(legato(['--foo']), /^legato: unknown option --foo \(commands: run, .*see legato --help\)$/);
    expectUsageError(legato(['frobnicate']), /^legato frobnicate: unknown command "frobnicate"/);
  });

  it('a flag without its value, or a switch given one, says so', () => {
    expectUsageError(legato(['run', model, '-p', 'x', '-n']), 'legato run: -n needs a value (see legato run --help)');
    expectUsageError(legato(['run', model, '-p', 'x', '--json=yes']), 'legato run: --json takes no value (see legato run --help)');
  });

  it('quotes at most 60 characters of what the user typed', () => {
    const r = legato(['run', model, '-p', 'x', `--${'a'.repeat(5000)}`]);
    expect(r.code).toBe(2);
    expect(r.stderr.length).toBeLessThan(200);
  });

  it('no command is a usage error; input that cannot be used is exit code 1', () => {
    const none = legato([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^usage: legato <command>/);
    const missing = legato(['run', '/nonexistent/model.gguf', '-p', 'x']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('legato run: model file not found: /nonexistent/model.gguf');
  });
});

describe('legato: help and argument checks load no model code', () => {
  it('legato --help lists the commands and loads neither core nor quant', () => {
    const r = legato(['--help'], { recordLoads: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: legato <command>/);
    expect(r.stdout).toMatch(/^ {2}quantize /m);
    // The recorder saw the CLI itself load, so an empty list cannot pass by accident.
    expect(r.loaded.some((u) => u.endsWith('/packages/cli/src/main.ts'))).toBe(true);
    expect(r.loaded.filter((u) => HEAVY.test(u))).toEqual([]);
  });

  it('legato run --help and a rejected flag load no model code either', () => {
    const help = legato(['run', '--help'], { recordLoads: true });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: legato run <model\.gguf> -p <prompt>/);
    expect(help.loaded.filter((u) => HEAVY.test(u))).toEqual([]);
    const bad = legato(['run', modelPath('stories260K.gguf'), '-p', 'x', '-n', '-5'], { recordLoads: true });
    expect(bad.code).toBe(2);
    expect(bad.loaded.filter((u) => HEAVY.test(u))).toEqual([]);
  });

  it('the recorder does see core when a command needs it', () => {
    const r = legato(['tokenize', modelPath('stories260K.gguf'), 'Once'], { recordLoads: true });
    expect(r.loaded.some((u) => /\/packages\/core\/src\//.test(u))).toBe(true);
  });
});
