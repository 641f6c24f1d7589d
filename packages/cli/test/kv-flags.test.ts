import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBytes, parseGc, parseKvType } from '../src/kv-options.js';
import { modelPath } from '../../../testing/models.js';
import { legato } from './run-cli.js';

const ref = JSON.parse(readFileSync(modelPath('reference-greedy.json'), 'utf8'))['stories260K.gguf'];

describe('KV-cache flags', () => {
  it('parse sizes and GC policies', () => {
    expect(parseBytes('kv-memory', '256MiB')).toBe(256 * 1024 * 1024);
    expect(parseBytes('kv-memory', '1.5GB')).toBe(1.5e9);
    expect(parseBytes('kv-memory', '4096')).toBe(4096);
    expect(() => parseBytes('kv-memory', 'lots')).toThrow(/--kv-memory must be a size/);
    expect(parseGc('periodic:50')).toEqual({ policy: 'periodic', intervalTokens: 50 });
    expect(parseGc('incremental:8')).toEqual({ policy: 'incremental', budget: { blocks: 8 } });
    expect(parseGc('incremental:300us').budget!.microseconds).toBe(300);
    expect(parseGc('off')).toEqual({ policy: 'off' });
    expect(() => parseGc('periodic:0')).toThrow(/positive integer/);
    expect(parseKvType('q8_0')).toBe('q8_0');
    expect(parseKvType(undefined)).toBeUndefined();
    expect(() => parseKvType('q4_0')).toThrow(/--kv-type must be f16, f32, q8_0/);
  });

  it('legato run honours them and reports cache stats in --json', () => {
    const r = legato(['run', modelPath('stories260K.gguf'), '-p', 'Once upon a time', '-n', '20', '--temp', '0', '--json',
      '--block-size', '8', '--kv-memory', '2MiB', '--gc', 'periodic:5', '--no-prefix-cache']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.ids).toEqual(ref.numpy_greedy_ids.slice(0, 20));
    expect(out.kv_cache.blockSize).toBe(8);
    expect(out.kv_cache.bytesPerBlock).toBe(2 * 5 * 32 * 2 * 8); // f16 rows, the default as in llama.cpp
    expect(out.kv_cache.blocksTotal).toBe(Math.floor((2 * 1024 * 1024) / out.kv_cache.bytesPerBlock));
    expect(out.kv_cache.gc.policy).toBe('periodic');
    expect(out.kv_cache.gc.cycles).toBeGreaterThanOrEqual(3); // 19 decode steps, a sweep every 5
    expect(out.kv_cache.prefix.enabled).toBe(false);
  });

  it('--kv-type f32 stores f32 rows, with the same greedy ids', () => {
    const r = legato(['run', modelPath('stories260K.gguf'), '-p', 'Once upon a time', '-n', '20', '--temp', '0', '--json', '--block-size', '8', '--kv-type', 'f32']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.ids).toEqual(ref.numpy_greedy_ids.slice(0, 20));
    expect(out.kv_cache.bytesPerBlock).toBe(2 * 5 * 32 * 4 * 8);
  });

  it('bad values are one-line errors', () => {
    for (const [flag, v, msg] of [['--block-size', '12', /8, 16 or 32/], ['--kv-memory', 'x', /size like/], ['--gc', 'maybe', /--gc must be/], ['--kv-type', 'q4_0', /--kv-type must be/]] as const) {
      const r = legato(['run', modelPath('stories260K.gguf'), '-p', 'x', flag, v]);
      expect(r.code).toBe(2); // a usage error
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
    }
  });
});
