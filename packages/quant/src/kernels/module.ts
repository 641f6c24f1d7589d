/**
 * Finding, compiling and instantiating the committed kernel module (wasm/kernels.wasm, built from
 * assembly/ by `pnpm --filter @legato/quant build:wasm`), and detecting whether this runtime can
 * run it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { JobKernels } from '../threads/protocol.mjs';

/** The kernel module's exports (see assembly/index.ts). */
export interface KernelExports extends JobKernels {
  /** Fills the lookup tables in the memory's reserved start; once per memory, before any kernel. */
  initTables(): void;
  activationStride(cols: number): number;
  hasKernel(type: number): number;
  usesQuantizedActivations(type: number): number;
}

/** This file's URL in the ESM build and from sources; the CommonJS build has only __filename. */
export function moduleUrl(): string {
  return import.meta.url ?? pathToFileURL(__filename).href;
}

/**
 * The first of `candidates` (paths relative to this module) that exists. Sources sit two levels
 * below the package root (src/kernels/), the bundled build one level (dist/), so callers list the
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

/** The smallest module using a SIMD128 instruction (v128.const, drop). */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x17, 0x01, 0x15, 0x00, 0xfd, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x1a, 0x0b,
]);

/** True when this runtime has WebAssembly with SIMD128 and shared memory (threads). */
export function wasmKernelsSupported(): boolean {
  try {
    if (typeof WebAssembly !== 'object' || typeof SharedArrayBuffer !== 'function') return false;
    if (!WebAssembly.validate(SIMD_PROBE)) return false;
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

let compiled: WebAssembly.Module | undefined;

/** The compiled kernel module (compiled once per process, then shared with every worker). */
export function kernelModule(): WebAssembly.Module {
  if (!compiled) {
    const path = locatePackageFile(['../../wasm/kernels.wasm', '../wasm/kernels.wasm']);
    compiled = new WebAssembly.Module(readFileSync(path));
  }
  return compiled;
}

/**
 * Instantiates the kernels over `memory` (the arena's shared memory) and fills their tables in the
 * arena's reserved first bytes (idempotent: every instance writes the same values).
 */
export function instantiateKernels(memory: WebAssembly.Memory, module = kernelModule()): KernelExports {
  const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
  kernels.initTables();
  return kernels;
}
