/**
 * Issue 9, finding 3: a script that loads a model on the default WASM backend (worker threads),
 * generates, and never calls model.dispose() must exit when its work is done.
 */
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, modelPath } from '../../../../testing/models.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('a model that is never disposed', () => {
  it('does not keep the process alive (2 threads)', () => {
    modelPath('stories260K.gguf'); // fails by name here if the shared model is missing
    const child = spawnSync(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', resolve(here, 'no-dispose-child.ts')],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 },
    );
    expect(child.error, child.stderr).toBeUndefined();
    expect(child.signal, 'killed by the timeout: something kept the process alive').toBeNull();
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout.trim()).toBe('ok true');
  });
});
