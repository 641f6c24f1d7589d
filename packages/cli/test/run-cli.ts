/** Runs the `legato` CLI from source in a child process, as a user would. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../../../testing/models.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** With `recordLoads`: the URL of every module the process resolved, in order. */
  loaded: string[];
}

export function legato(args: string[], opts: { timeoutMs?: number; env?: Record<string, string>; recordLoads?: boolean } = {}): CliResult {
  const dir = opts.recordLoads ? mkdtempSync(join(tmpdir(), 'legato-loads-')) : undefined;
  const log = dir && join(dir, 'loads.txt');
  const preload = log ? ['--import', resolve(REPO_ROOT, 'packages/cli/test/fixtures/record-loads.mjs')] : [];
  try {
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', ...preload, resolve(REPO_ROOT, 'packages/cli/src/bin.ts'), ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 120_000,
      env: { ...process.env, ...opts.env, ...(log ? { LEGATO_LOAD_LOG: log } : {}) },
    });
    if (r.error) throw r.error;
    const loaded = log && existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, loaded };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
