/**
 * Opening a model file for a command: a clear error for a missing path, progress on stderr.
 * @legato/core is imported on first use, so a command's --help and argument errors stay fast.
 */
import { existsSync, statSync } from 'node:fs';
import type { LlamaModel } from '@legato/core';
import { InputError } from './usage.js';

export function checkModelPath(path: string): void {
  if (!existsSync(path)) throw new InputError(`model file not found: ${path}`);
  if (!statSync(path).isFile()) throw new InputError(`not a file: ${path}`);
}

export async function openModel(path: string, opts: { quiet?: boolean; threads?: number; backend?: 'auto' | 'wasm' | 'reference' } = {}): Promise<LlamaModel> {
  checkModelPath(path);
  const { loadModel } = await import('@legato/core');
  const tty = process.stderr.isTTY && !opts.quiet;
  const model = await loadModel(path, {
    threads: opts.threads,
    backend: opts.backend,
    onProgress: tty
      ? (p) => process.stderr.write(`\rloading ${path} ${(p.fraction * 100).toFixed(0).padStart(3)}%`)
      : undefined,
  });
  if (tty) process.stderr.write('\n');
  return model;
}
