import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelPath, REPO_ROOT } from '../../testing/models.js';

describe('examples', () => {
  it('stream.ts runs on a real model and prints the story and its timings', () => {
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', resolve(REPO_ROOT, 'examples/stream.ts'), modelPath('stories260K.gguf')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Once upon a time/);
    expect(r.stdout).toMatch(/TTFT [\d.]+ ms, decode [\d.]+ tok\/s/);
  });

  it('engine.ts batches four requests, cancels one, and rejects a bad option', () => {
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', resolve(REPO_ROOT, 'examples/engine.ts'), modelPath('stories260K.gguf')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^0: \[length\] Once upon a time/m);
    expect(r.stdout).toMatch(/^3: \[abort\] The sun was/m);
    expect(r.stdout).toContain('rejected: maxTokens must be a non-negative integer, got -1');
  });

  it('chat.ts holds a two-turn conversation whose second turn comes partly from the prefix cache', () => {
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', resolve(REPO_ROOT, 'examples/chat.ts'), modelPath('stories260K.gguf')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const cached = [...r.stdout.matchAll(/(\d+) from the prefix cache/g)].map((m) => Number(m[1]));
    expect(cached).toHaveLength(2);
    expect(cached[0]).toBe(0);
    expect(cached[1]).toBeGreaterThan(0);
  });
});
