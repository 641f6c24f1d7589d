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
 *
 * The root holds what an application needs: loading a model, contexts, generations, the engine,
 * their option and result types, and the errors they throw. Tools and benchmarks reach further
 * through subpath exports: `@legato/core/gguf` (read and write GGUF), `/tokenizer` (vocabularies,
 * the streaming detokenizer), `/sample` (the sampler chain and its parts), `/synth` (random-weight
 * models), `/quantize` (file quantization) and `/internals` (the forward pass, KV caches, weights).
 */

// What a loaded model exposes and throws besides the engine's own types.
export { GGUFError, type GGUFErrorCode } from './gguf/errors.js';
export type { LoadProgress } from './gguf/load.js';
export { SUPPORTED_ARCHITECTURES, UnsupportedArchitectureError, type LlamaConfig } from './model/config.js';
export { Tokenizer, TokenizerError, type EncodeOptions, type DecodeOptions } from './tokenizer/index.js';
export { SamplingOptionsError, type SamplingOptions } from './sample/options.js';

// Chat: a conversation → the prompt text the model was trained on (the file's chat template,
// rendered as transformers renders it, or llama.cpp's built-in formats), and its token ids.
export {
  applyChatTemplate,
  chatTemplateFromMetadata,
  chatPromptIds,
  ChatTemplateError,
  BUILTIN_TEMPLATES as BUILTIN_CHAT_TEMPLATES,
  type ApplyChatTemplateOptions,
  type ChatMessage,
  type ChatTool,
  type ChatToolCall,
  type ChatTemplateSource,
  type ChatTemplateErrorKind,
} from './chat/index.js';

// The engine: models, contexts, generations, the continuous-batching engine, and their errors.
export { loadModel, LlamaModel, type LoadModelOptions, type ModelSource } from './engine/model.js';
export { cachedModelSource, type CachedModelSource, type CachedModelSourceOptions } from './engine/model-cache.js';
export { LlamaContext, type ContextOptions, type EvaluateOptions } from './engine/context.js';
export { ChatSession, type ChatOptions, type ChatSessionOptions } from './engine/chat-session.js';
export { Generation, type GeneratedToken, type GenerationResult, type FinishReason } from './engine/generation.js';
export type { GenerateOptions } from './engine/options.js';
export type { GenerationTimings } from './engine/timings.js';
export { InvalidOptionError } from './errors.js';
export { ContextOverflowError, ContextBusyError, DisposedError } from './engine/errors.js';
/** Thrown through a generation when a compute worker exits or traps (the team recovers) or stops making progress. */
export { WorkerCrashedError, WorkerStalledError } from '@legato/quant';
export { KVCacheOutOfBlocksError } from '@legato/kvcache';
/** KV cache element types (`kvType` of contexts and engines) and what a token of context costs in each. */
export { KV_TYPES, DEFAULT_KV_TYPE, type KVType } from '@legato/quant';
export { kvBytesPerToken } from './model/kv-cache.js';
export {
  InferenceEngine,
  type EngineOptions,
  type EngineObserver,
  type EngineStepGauges,
  type EngineRequestResult,
} from './engine/engine.js';
/** @deprecated an engine's request is a {@link Generation}. */
export { Generation as RequestHandle } from './engine/generation.js';
