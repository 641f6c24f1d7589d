/** Runs the `legato` CLI from source in a child process, as a user would. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../../../testing/models.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function legato(args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', resolve(REPO_ROOT, 'packages/cli/src/bin.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    env: { ...process.env, ...opts.env },
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
