/**
 * Runs one side of a side-by-side benchmark (benchmarks/peer-runner.ts) in a process of its own,
 * so that its peak RSS is its own: tokens/s per rep of each test, and that peak RSS.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface Side {
  results: Record<string, number[]>;
  maxRssMb: number;
}

/** `threads` may be 'default' (Legato only): loadModel without a thread count. */
export function runPeerSide(engine: 'legato' | 'llamacpp', model: string, tests: string, threads: number | 'default', reps: string): Side {
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', join(root, 'benchmarks/peer-runner.ts'), engine, model, tests, String(threads), reps], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    cwd: root,
  });
  if (r.status !== 0) throw new Error(`${engine} runner failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Side;
}
