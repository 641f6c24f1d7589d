/**
 * Request bodies of the OpenAI-compatible endpoints, as zod schemas. Unknown fields are dropped,
 * as OpenAI does; every known field is checked for type and range so a mistake is a 400 naming
 * the field, never a surprise deep in the engine. `null` is accepted wherever OpenAI's clients
 * send it for "unset".
 */
import { z } from 'zod';

const tokenIds = z.array(z.number().int().min(0), { error: 'must be an array of token ids (non-negative integers)' }).min(1);

/** Fields shared by /v1/completions and /v1/chat/completions. */
const common = {
  model: z.string().max(512).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  /** vLLM's extension; -1 or 0 disables it. */
  top_k: z.number().int().min(-1).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).max(16)], { error: 'must be a non-empty string or an array of at most 16 non-empty strings' }).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  /** vLLM's extension, llama.cpp's repeat penalty. */
  repetition_penalty: z.number().gt(0).max(10).nullish(),
  logit_bias: z.record(z.string().regex(/^(0|[1-9][0-9]{0,9})$/, 'keys must be token ids'), z.number().min(-100).max(100)).nullish(),
  n: z.number().int().min(1).max(1, 'only n = 1 is supported').nullish(),
  user: z.string().max(256).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  /** vLLM's extension used by benchmarks: generate exactly max_tokens tokens. */
  ignore_eos: z.boolean().nullish(),
};

const textPart = z.object({ type: z.literal('text'), text: z.string() });

/** One chat message; only text content is supported (parts of type "text" are concatenated). */
export const chatMessage = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(textPart), z.null()], { error: 'must be a string or an array of text parts' }).optional(),
  name: z.string().max(256).optional(),
});

export type ChatMessage = z.infer<typeof chatMessage>;

export const chatCompletionRequest = z.object({
  ...common,
  messages: z.array(chatMessage).min(1, 'at least one message is required'),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
});

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequest>;

export const completionRequest = z.object({
  ...common,
  prompt: z.union([z.string(), tokenIds, z.array(z.string()).length(1), z.array(tokenIds).length(1)], {
    error: 'must be a string or an array of token ids (one prompt per request)',
  }),
  /** The legacy API's number of top alternatives, 0..5 (vLLM allows up to 20). */
  logprobs: z.number().int().min(0).max(20).nullish(),
  echo: z.literal(false, 'echo is not supported').nullish(),
  suffix: z.null('suffix is not supported').optional(),
});

export type CompletionRequest = z.infer<typeof completionRequest>;

/** llama-server's POST /tokenize. */
export const tokenizeRequest = z.object({
  content: z.string(),
  add_special: z.boolean().nullish(),
  parse_special: z.boolean().nullish(),
  with_pieces: z.boolean().nullish(),
});

/** llama-server's POST /detokenize. */
export const detokenizeRequest = z.object({
  tokens: z.array(z.number().int().min(0)),
});
