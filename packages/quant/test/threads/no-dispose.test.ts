/**
 * A program that forgets dispose() must still exit when its work is done: between jobs the team
 * has nothing in flight, so its threads may not hold the event loop.
 */
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

describe('WasmBackend without dispose()', () => {
  it('lets the process exit by itself once its work is done', () => {
    const child = spawnSync(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', resolve(here, 'no-dispose-child.ts')],
      { cwd: resolve(here, '../../../..'), encoding: 'utf8', timeout: 30_000 },
    );
    expect(child.error, child.stderr).toBeUndefined();
    expect(child.signal, 'killed by the timeout: something kept the process alive').toBeNull();
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout.trim()).toBe('ok 2 true');
  });
});
