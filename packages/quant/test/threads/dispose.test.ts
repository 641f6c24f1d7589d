import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

describe('WasmBackend.dispose', () => {
  it('ends every worker so the process exits by itself', () => {
    const started = Date.now();
    const child = spawnSync(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', resolve(here, 'dispose-child.ts')],
      { cwd: resolve(here, '../../../..'), encoding: 'utf8', timeout: 30_000 },
    );
    expect(child.error, child.stderr).toBeUndefined();
    expect(child.signal, 'killed by the timeout: something kept the process alive').toBeNull();
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout.trim()).toBe('ok 0 true');
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
