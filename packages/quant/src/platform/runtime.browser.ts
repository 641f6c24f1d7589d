/**
 * What the kernels need from the runtime, in a browser (the twin of runtime.node.ts): the core
 * count from `navigator.hardwareConcurrency`, and the kernel modules inlined into the bundle
 * (wasm-inline.generated.ts), so that no bundler has to copy .wasm files and no fetch can fail.
 */
import { KERNELS_RELAXED_WASM_BASE64, KERNELS_WASM_BASE64 } from './wasm-inline.generated.js';

/** Which runtime family this build targets. */
export const PLATFORM: 'node' | 'browser' = 'browser';

/** Threads the runtime can run at once (navigator.hardwareConcurrency; 1 when unknown). */
export function hardwareThreads(): number {
  const n = typeof navigator === 'object' ? navigator.hardwareConcurrency : undefined;
  return typeof n === 'number' && n >= 1 ? n : 1;
}

/** The URL of this module (in a bundle: the bundle's). */
export function moduleUrl(): string {
  return import.meta.url;
}

/** Package files are not reachable by path in a browser: everything they hold is inlined. */
export function locatePackageFile(candidates: readonly string[]): string {
  throw new Error(`@legato/quant: ${candidates.join(' or ')} cannot be read in a browser`);
}

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const cache = new Map<string, Uint8Array<ArrayBuffer>>();

/** The bytes of a shipped kernel module ('kernels' or 'kernels-relaxed'), decoded once. */
export function kernelWasmBytes(name: 'kernels' | 'kernels-relaxed'): Uint8Array<ArrayBuffer> {
  let bytes = cache.get(name);
  if (!bytes) {
    bytes = decodeBase64(name === 'kernels' ? KERNELS_WASM_BASE64 : KERNELS_RELAXED_WASM_BASE64);
    cache.set(name, bytes);
  }
  return bytes;
}

/** Browsers ship relaxed SIMD unflagged or not at all: nothing to turn on. */
export function enableRelaxedSimdFlag(): boolean {
  return false;
}

/** Browsers have no environment variables. */
export function envVar(_name: string): string | undefined {
  return undefined;
}
