/**
 * What the kernels need from the runtime, on Node (and Deno and Bun through their Node APIs): the
 * core count, the kernel .wasm files from the package folder, and V8's relaxed-SIMD flag. The
 * browser twin is runtime.browser.ts; package.json's `imports` picks one by the `browser` condition.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Which runtime family this build targets. */
export const PLATFORM: 'node' | 'browser' = 'node';

/** Threads the runtime can run at once (os.availableParallelism()). */
export function hardwareThreads(): number {
  return availableParallelism();
}

/** This file's URL in the ESM build and from sources; the CommonJS build has only __filename. */
export function moduleUrl(): string {
  return import.meta.url ?? pathToFileURL(__filename).href;
}

/**
 * The first of `candidates` (paths relative to this module) that exists. Sources sit two levels
 * below the package root (src/platform/), the bundled build one level (dist/), so callers list the
 * path from each.
 */
export function locatePackageFile(candidates: readonly string[]): string {
  const base = moduleUrl();
  for (const rel of candidates) {
    const path = fileURLToPath(new URL(rel, base));
    if (existsSync(path)) return path;
  }
  throw new Error(`@legato/quant: cannot find ${candidates.join(' or ')} next to ${fileURLToPath(base)}`);
}

/** The bytes of a shipped kernel module ('kernels' or 'kernels-relaxed'). */
export function kernelWasmBytes(name: 'kernels' | 'kernels-relaxed'): Uint8Array<ArrayBuffer> {
  return readFileSync(locatePackageFile([`../../wasm/${name}.wasm`, `../wasm/${name}.wasm`]));
}

/**
 * Turns on relaxed SIMD where the engine has it only behind a flag (Node 20's V8 11.3). V8 flags
 * are process-wide, so worker threads can instantiate a module compiled after this. Returns false
 * where flags cannot be set (Deno, Bun).
 */
export function enableRelaxedSimdFlag(): boolean {
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
    return true;
  } catch {
    return false;
  }
}

/** An environment variable, or undefined where the runtime has none. */
export function envVar(name: string): string | undefined {
  return typeof process === 'object' ? process.env[name] : undefined;
}
