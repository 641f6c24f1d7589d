/**
 * @legato/core/internals — the pieces the engine is built from, for benchmarks, tools and tests:
 * model config from metadata, weight binding, KV caches, the Llama forward pass, timing summaries.
 * Not a stable API: these change whenever the engine does. Applications use the root export.
 */
export { readLlamaConfig, SUPPORTED_ARCHITECTURES, UnsupportedArchitectureError, type LlamaConfig } from './model/config.js';
export { bindLlamaWeights, type LlamaWeights, type LayerWeights } from './model/weights.js';
export { ContiguousKVCache, type KVCache } from './model/kv-cache.js';
export { PagedSequenceKV } from './model/paged-kv-cache.js';
export { LlamaForward, type ForwardOptions } from './model/forward.js';
export { summarizeTimings, type GenerationTimings } from './engine/timings.js';
