/**
 * @legato/core — GGUF models in pure TypeScript: load, tokenize, run the Llama forward pass,
 * sample, and stream tokens that each carry a timestamp.
 *
 * @example
 * import { loadModel } from '@legato/core';
 * const model = await loadModel('stories260K.gguf');
 * const ctx = model.createContext({ contextSize: 256 });
 * const gen = ctx.generate('Once upon a time', { maxTokens: 40, temperature: 0 });
 * for await (const t of gen) process.stdout.write(t.text);
 * const { timings } = await gen.result();
 * console.log(`TTFT ${timings.ttftMs.toFixed(1)} ms, ${timings.decodeTokensPerSecond.toFixed(1)} tok/s`);
 * model.dispose();
 */
export * from './gguf/index.js';
export * from './tokenizer/index.js';
export * from './sample/index.js';
export { readLlamaConfig, SUPPORTED_ARCHITECTURES, UnsupportedArchitectureError, type LlamaConfig } from './model/config.js';
export { bindLlamaWeights, type LlamaWeights, type LayerWeights } from './model/weights.js';
export { ContiguousKVCache, type KVCache } from './model/kv-cache.js';
export { LlamaForward, type ForwardOptions } from './model/forward.js';
export { loadModel, LlamaModel, type LoadModelOptions } from './engine/model.js';
export {
  LlamaContext,
  Generation,
  type ContextOptions,
  type GenerateOptions,
  type GeneratedToken,
  type GenerationResult,
  type FinishReason,
  type EvaluateOptions,
} from './engine/context.js';
export { summarizeTimings, type GenerationTimings } from './engine/timings.js';
export { ContextOverflowError, ContextBusyError, DisposedError } from './engine/errors.js';
export * from './synth/index.js';
export * from './quantize/index.js';
export { InferenceEngine, RequestHandle, type EngineOptions, type EngineObserver, type EngineStepGauges, type EngineRequestResult } from './engine/scheduler.js';
export { PagedSequenceKV } from './model/paged-kv-cache.js';
