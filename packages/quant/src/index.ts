/**
 * @legato/quant: ggml weight formats (layouts, dequantization, dot products, quantizers), the
 * shared WASM arena, the compute-backend seam and the plain-TypeScript reference matmul.
 */
export * from './types.js';
export * from './arena.js';
export * from './backend.js';
export * from './kv-types.js';
export * from './formats/index.js';
export * from './reference/matmul.js';
export * from './reference/dequantize.js';
export * from './reference/backend.js';
export * from './quantize/index.js';
export { WasmBackend, type WasmBackendOptions } from './kernels/wasm-backend.js';
export { relaxedSimdSupported, wasmKernelsSupported } from './kernels/module.js';
export { WorkerCrashedError, WorkerStalledError, type WorkerFault } from './threads/team.js';
