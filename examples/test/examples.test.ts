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
});
