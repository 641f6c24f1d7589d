/**
 * Finding, compiling and instantiating the committed kernel module (wasm/kernels.wasm, built from
 * assembly/ by `pnpm --filter @legato/quant build:wasm`), and detecting whether this runtime can
 * run it.
 *
 * The same sources are also built with WebAssembly relaxed SIMD (wasm/kernels-relaxed.wasm, the
 * ASC_FEATURE_RELAXED_SIMD switch in assembly/): its prefill and decode kernels for the formats whose
 * weights fit 7 bits multiply bytes with i16x8.relaxed_dot_i8x16_i7x16_s, ~1.5× the multiply rate of the
 * SIMD128 i16 dot. With such operands the relaxed instruction's result is fully specified, so both
 * modules compute every output bit for bit alike. The relaxed module is used when the runtime
 * validates it and computes a probe exactly; otherwise, or with LEGATO_WASM_RELAXED_SIMD=0 in the
 * environment, the plain module.
 */
import { enableRelaxedSimdFlag, envVar, kernelWasmBytes } from '#platform/runtime';
import type { JobKernels } from '../threads/protocol.mjs';

export { locatePackageFile, moduleUrl } from '#platform/runtime';

/** The kernel module's exports (see assembly/index.ts). */
export interface KernelExports extends JobKernels {
  /** Fills the lookup tables in the memory's reserved start; once per memory, before any kernel. */
  initTables(): void;
  activationStride(cols: number): number;
  hasKernel(type: number): number;
  usesQuantizedActivations(type: number): number;
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
    // Not `typeof SharedArrayBuffer`: a browser page that is not cross-origin isolated hides that
    // global but still makes shared WebAssembly memories, which is all one thread needs.
    if (typeof WebAssembly !== 'object') return false;
    if (!WebAssembly.validate(SIMD_PROBE)) return false;
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * A module exporting p(x: i32): i32, 1 when i16x8.relaxed_dot_i8x16_i7x16_s of fixed bytes (all of
 * i8's range, including −128, against 7-bit values up to 127) plus splat(x) gives the exact dots
 * for x = 0. Catches an engine that accepts the instruction but computes it otherwise.
 */
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x03, 0x02,
  0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x00, 0x07, 0x0e, 0x02, 0x01, 0x70, 0x00, 0x00, 0x06, 0x6d, 0x65, 0x6d,
  0x6f, 0x72, 0x79, 0x02, 0x00, 0x0a, 0x4b, 0x01, 0x49, 0x00, 0xfd, 0x0c, 0x81, 0x7f, 0x9c, 0x63, 0xff, 0x00,
  0x01, 0xc0, 0x3f, 0x80, 0x05, 0xfa, 0x07, 0xf8, 0x78, 0x88, 0x20, 0x00, 0xfd, 0x0f, 0xfd, 0x6e, 0xfd, 0x0c,
  0x0f, 0x0f, 0x01, 0x02, 0x1f, 0x3f, 0x7f, 0x00, 0x03, 0x04, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0xfd, 0x92,
  0x02, 0xfd, 0x0c, 0x00, 0x00, 0x62, 0x00, 0xe1, 0xff, 0x7f, 0x00, 0xbd, 0xfe, 0xf0, 0xff, 0xec, 0xff, 0x88,
  0xff, 0xfd, 0x2d, 0xfd, 0x83, 0x01, 0x41, 0x00, 0x47, 0x0b,
]);

function relaxedProbePasses(): boolean {
  try {
    const probe = new WebAssembly.Instance(new WebAssembly.Module(RELAXED_PROBE)).exports as { p(x: number): number };
    return probe.p(0) === 1;
  } catch {
    return false;
  }
}

/** Whether relaxed SIMD is usable; undefined until first asked. */
let relaxedOk: boolean | undefined;

/**
 * True when the relaxed-SIMD kernel module can be used: not disabled by LEGATO_WASM_RELAXED_SIMD=0,
 * and the runtime validates relaxed SIMD and computes the probe exactly. Node 20 (V8 11.3) has the
 * proposal only behind --experimental-wasm-relaxed-simd; this is the one place that turns that
 * flag on, at run time, before any relaxed module is compiled. V8 flags are process-wide, so
 * worker threads can instantiate the module compiled here. Newer V8 ships the feature unflagged
 * and never reaches setFlagsFromString.
 */
export function relaxedSimdSupported(): boolean {
  if (relaxedOk === undefined) {
    const env = envVar('LEGATO_WASM_RELAXED_SIMD');
    if (env === '0' || !wasmKernelsSupported()) return (relaxedOk = false);
    try {
      if (!WebAssembly.validate(RELAXED_PROBE)) enableRelaxedSimdFlag();
      relaxedOk = WebAssembly.validate(RELAXED_PROBE) && relaxedProbePasses();
    } catch {
      relaxedOk = false;
    }
  }
  return relaxedOk;
}

let compiledPlain: WebAssembly.Module | undefined;
let compiledRelaxed: WebAssembly.Module | undefined;

/** The SIMD128 kernel module (compiled once per process, then shared with every worker). */
export function plainKernelModule(): WebAssembly.Module {
  if (!compiledPlain) {
    compiledPlain = new WebAssembly.Module(kernelWasmBytes('kernels'));
  }
  return compiledPlain;
}

/** The relaxed-SIMD kernel module, or undefined when relaxedSimdSupported() is false. */
export function relaxedKernelModule(): WebAssembly.Module | undefined {
  if (!compiledRelaxed && relaxedSimdSupported()) {
    compiledRelaxed = new WebAssembly.Module(kernelWasmBytes('kernels-relaxed'));
  }
  return compiledRelaxed;
}

/**
 * Compiles the kernel module `kernelModule()` returns off the calling thread, so that the sync
 * accessors then return it at once: a browser's main thread refuses to compile modules over 4 KB
 * synchronously. Resolves to it.
 */
export async function compileKernelModule(): Promise<WebAssembly.Module> {
  if (relaxedSimdSupported()) compiledRelaxed ??= await WebAssembly.compile(kernelWasmBytes('kernels-relaxed'));
  else compiledPlain ??= await WebAssembly.compile(kernelWasmBytes('kernels'));
  return kernelModule();
}

/** Whether `module` is the relaxed-SIMD kernel module (without compiling it to find out). */
export function isRelaxedKernelModule(module: WebAssembly.Module): boolean {
  return module === compiledRelaxed;
}

/** The kernel module to use: the relaxed-SIMD one where supported, else the SIMD128 one. */
export function kernelModule(): WebAssembly.Module {
  return relaxedKernelModule() ?? plainKernelModule();
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
