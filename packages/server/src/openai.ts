/**
 * POST /v1/completions and /v1/chat/completions: a validated body becomes one request in the
 * engine's continuous batch, answered as one JSON object or streamed as server-sent events.
 * Every request has its own AbortController: a client that disconnects (or a shutdown past its
 * drain timeout) aborts it, and the engine frees its KV blocks at its next step.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GenerateOptions, InferenceEngine, LlamaModel } from '@legato/core';
import type { z } from 'zod';
import { chatPrompt } from './chat.js';
import { ApiError, fromZodError, toApiError } from './errors.js';
import type { ServerMetrics } from './metrics.js';
import { chatCompletionRequest, completionRequest, type ChatCompletionRequest, type CompletionRequest } from './schemas.js';
import { SseStream } from './sse.js';

/** What the handlers serve with, once the model is loaded. */
export interface ServingContext {
  model: LlamaModel;
  engine: InferenceEngine;
  metrics: ServerMetrics;
  /** The name clients pass as `model` (also accepted: the file's path). */
  modelName: string;
  modelPath: string;
  /** Most requests waiting for a batch slot before new ones get 429. */
  maxQueue: number;
  /** Aborters of the requests in flight, for shutdown. */
  inflight: Set<AbortController>;
  fingerprint: string;
}

/** The abort reason a shutdown gives the requests it cancels. */
export const SHUTDOWN = Symbol('server shutting down');

type Kind = 'chat' | 'text';

/** A 400 from zod, or the parsed body. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body);
  if (!r.success) throw fromZodError(r.error);
  return r.data;
}

/** OpenAI's finish reasons from the engine's. */
export function openaiFinishReason(reason: string): 'stop' | 'length' {
  return reason === 'length' || reason === 'context' ? 'length' : 'stop';
}

interface Prepared {
  ids: number[];
  options: GenerateOptions & { logprobs?: number };
  stream: boolean;
  includeUsage: boolean;
  /** Top alternatives wanted per token, undefined when logprobs were not asked for. */
  logprobs: number | undefined;
}

function prepare(ctx: ServingContext, kind: Kind, body: ChatCompletionRequest | CompletionRequest): Prepared {
  if (body.model != null && body.model !== ctx.modelName && body.model !== ctx.modelPath) {
    throw new ApiError(404, `The model \`${body.model.slice(0, 100)}\` does not exist.`, 'not_found_error', 'model', 'model_not_found');
  }
  const { model, engine } = ctx;
  const promptParam = kind === 'chat' ? 'messages' : 'prompt';
  let ids: number[];
  if (kind === 'chat') {
    try {
      ids = chatPrompt(model, (body as ChatCompletionRequest).messages);
    } catch (e) {
      throw toApiError(e);
    }
  } else {
    let p = (body as CompletionRequest).prompt;
    if (Array.isArray(p) && (typeof p[0] === 'string' || Array.isArray(p[0]))) p = p[0] as string | number[];
    ids = typeof p === 'string' ? model.tokenize(p, { addSpecial: true, parseSpecial: false }) : [...(p as number[])];
  }
  const V = model.config.vocabSize;
  if (ids.length === 0) throw new ApiError(400, 'the prompt is empty (no tokens to start from)', 'invalid_request_error', promptParam, 'invalid_value');
  const bad = ids.find((id) => id >= V);
  if (bad !== undefined) throw new ApiError(400, `prompt token id ${bad} is outside the vocabulary (0..${V - 1})`, 'invalid_request_error', promptParam, 'invalid_value');
  const ctxSize = engine.contextSize;
  if (ids.length >= ctxSize) {
    throw new ApiError(400, `This model's maximum context length is ${ctxSize} tokens. However, your ${kind === 'chat' ? 'messages' : 'prompt'} resulted in ${ids.length} tokens.`, 'invalid_request_error', promptParam, 'context_length_exceeded');
  }
  // OpenAI's legacy completions default to 16 tokens; chat generates until EOS or the context is full.
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? (kind === 'text' ? 16 : undefined);
  if (maxTokens !== undefined && ids.length + maxTokens > ctxSize) {
    const param = body.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
    throw new ApiError(400, `This model's maximum context length is ${ctxSize} tokens. However, you requested ${ids.length + maxTokens} tokens (${ids.length} in the prompt, ${maxTokens} for the completion).`, 'invalid_request_error', param, 'context_length_exceeded');
  }
  let logitBias: Record<number, number> | undefined;
  if (body.logit_bias) {
    logitBias = {};
    for (const [k, v] of Object.entries(body.logit_bias)) {
      const id = Number(k);
      if (id >= V) throw new ApiError(400, `logit_bias key ${k.slice(0, 12)} is outside the vocabulary (0..${V - 1})`, 'invalid_request_error', 'logit_bias', 'invalid_value');
      logitBias[id] = v;
    }
  }
  const stop = body.stop == null ? undefined : typeof body.stop === 'string' ? [body.stop] : body.stop;
  let logprobs: number | undefined;
  if (kind === 'chat') {
    const b = body as ChatCompletionRequest;
    if (b.top_logprobs != null && !b.logprobs) throw new ApiError(400, 'top_logprobs requires logprobs to be true', 'invalid_request_error', 'top_logprobs', 'invalid_value');
    if (b.logprobs) logprobs = b.top_logprobs ?? 0;
  } else {
    logprobs = (body as CompletionRequest).logprobs ?? undefined;
  }
  return {
    ids,
    options: {
      maxTokens,
      // OpenAI's defaults (vLLM's too), not llama.cpp's: temperature 1, no top-k/top-p/min-p cut.
      temperature: body.temperature ?? 1,
      topP: body.top_p ?? 1,
      topK: body.top_k == null || body.top_k <= 0 ? 0 : body.top_k,
      minP: body.min_p ?? 0,
      seed: body.seed ?? undefined,
      stop,
      presencePenalty: body.presence_penalty ?? undefined,
      frequencyPenalty: body.frequency_penalty ?? undefined,
      repeatPenalty: body.repetition_penalty ?? undefined,
      logitBias,
      ignoreEos: body.ignore_eos ?? undefined,
      logprobs,
    },
    stream: body.stream === true,
    includeUsage: body.stream === true && body.stream_options?.include_usage === true,
    logprobs,
  };
}

/** A streamed token as the engine gives it (logprob fields arrive with the lead's engine). */
interface Token {
  id: number;
  text: string;
  logprob?: number;
  topLogprobs?: readonly { id: number; logprob: number }[];
}

/** Formats per-token log-probabilities in the chat or the legacy completions shape. */
class LogprobFormatter {
  private textOffset = 0;
  constructor(private readonly model: LlamaModel, private readonly kind: Kind) {}

  private piece(id: number): { token: string; bytes: number[] } {
    const b = this.model.tokenizer.tokenToPiece(id);
    return { token: Buffer.from(b).toString('utf8'), bytes: Array.from(b) };
  }

  /** The `logprobs` value for these tokens; null when the engine gave no log-probabilities. */
  format(tokens: readonly Token[]): unknown {
    if (tokens.length === 0 || tokens.some((t) => t.logprob === undefined)) return null;
    if (this.kind === 'chat') {
      return {
        content: tokens.map((t) => ({
          ...this.piece(t.id),
          logprob: t.logprob,
          top_logprobs: (t.topLogprobs ?? []).map((a) => ({ ...this.piece(a.id), logprob: a.logprob })),
        })),
      };
    }
    const out = { tokens: [] as string[], token_logprobs: [] as number[], top_logprobs: [] as Record<string, number>[], text_offset: [] as number[] };
    for (const t of tokens) {
      out.tokens.push(this.piece(t.id).token);
      out.token_logprobs.push(t.logprob!);
      out.top_logprobs.push(Object.fromEntries((t.topLogprobs ?? []).map((a) => [this.piece(a.id).token, a.logprob])));
      out.text_offset.push(this.textOffset);
      this.textOffset += t.text.length;
    }
    return out;
  }
}

/** Handles a completions or chat request: validation, queue limit, the engine, the reply. */
export async function handleCompletion(ctx: ServingContext, kind: Kind, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const body = kind === 'chat' ? parseBody(chatCompletionRequest, req.body) : parseBody(completionRequest, req.body);
  const p = prepare(ctx, kind, body);
  if (ctx.engine.waitingCount >= ctx.maxQueue) {
    throw new ApiError(429, `the server's queue is full (${ctx.maxQueue} requests waiting); retry shortly`, 'rate_limit_error', null, 'queue_full', { 'retry-after': '1' });
  }
  const ac = new AbortController();
  const res = reply.raw;
  const onClose = (): void => {
    if (!res.writableFinished) ac.abort();
  };
  res.on('close', onClose);
  ctx.inflight.add(ac);
  try {
    let handle;
    try {
      handle = ctx.engine.submit(p.ids, { ...p.options, signal: ac.signal } as GenerateOptions);
    } catch (e) {
      throw toApiError(e);
    }
    const meta = {
      id: `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID().replace(/-/g, '')}`,
      created: Math.floor(Date.now() / 1000),
      model: ctx.modelName,
      system_fingerprint: ctx.fingerprint,
    };
    const lp = p.logprobs !== undefined ? new LogprobFormatter(ctx.model, kind) : undefined;
    if (p.stream) return await streamCompletion(ctx, kind, p, handle, meta, lp, ac, reply);
    const tokens: Token[] = [];
    for await (const t of handle) if (lp) tokens.push(t as Token);
    const r = await handle.result();
    ctx.metrics.onResult(r);
    if (r.finishReason === 'abort') {
      if (ac.signal.reason === SHUTDOWN) throw new ApiError(503, 'the server is shutting down', 'unavailable_error', null, 'shutting_down');
      return reply; // the client is gone: nothing to send
    }
    const finish = openaiFinishReason(r.finishReason);
    const logprobs = lp ? lp.format(tokens) : null;
    const usage = { prompt_tokens: r.promptIds.length, completion_tokens: r.ids.length, total_tokens: r.promptIds.length + r.ids.length };
    if (kind === 'chat') {
      return { ...meta, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: r.text }, logprobs, finish_reason: finish }], usage };
    }
    return { ...meta, object: 'text_completion', choices: [{ index: 0, text: r.text, logprobs, finish_reason: finish }], usage };
  } finally {
    ctx.inflight.delete(ac);
    res.off('close', onClose);
  }
}

async function streamCompletion(
  ctx: ServingContext,
  kind: Kind,
  p: Prepared,
  handle: ReturnType<InferenceEngine['submit']>,
  meta: { id: string; created: number; model: string; system_fingerprint: string },
  lp: LogprobFormatter | undefined,
  ac: AbortController,
  reply: FastifyReply,
): Promise<FastifyReply> {
  reply.hijack();
  const sse = new SseStream(reply.raw);
  sse.onClose(() => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  sse.open(reply.getHeaders() as Record<string, string>);
  const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  const usageNull = p.includeUsage ? { usage: null } : {};
  const chunk = (text: string | undefined, finish: string | null, logprobs: unknown = null, role = false): unknown =>
    kind === 'chat'
      ? { ...meta, object, choices: [{ index: 0, delta: role ? { role: 'assistant', content: '' } : text === undefined ? {} : { content: text }, logprobs, finish_reason: finish }], ...usageNull }
      : { ...meta, object, choices: [{ index: 0, text: text ?? '', logprobs, finish_reason: finish }], ...usageNull };
  try {
    if (kind === 'chat') await sse.send(chunk(undefined, null, null, true));
    let sent = '';
    for await (const t of handle) {
      if (t.text === '' && !lp) continue;
      sent += t.text;
      if (!(await sse.send(chunk(t.text, null, lp ? lp.format([t as Token]) : null)))) {
        ac.abort();
        break;
      }
    }
    const r = await handle.result();
    ctx.metrics.onResult(r);
    if (sse.closed) return reply;
    // Text the engine released only at the end (a held-back partial stop string at EOS).
    if (r.text.length > sent.length && r.text.startsWith(sent)) await sse.send(chunk(r.text.slice(sent.length), null));
    if (r.finishReason === 'abort') {
      await sse.send(new ApiError(503, 'the server is shutting down', 'unavailable_error', null, 'shutting_down').body());
      sse.end();
      return reply;
    }
    await sse.send(chunk(kind === 'chat' ? undefined : '', openaiFinishReason(r.finishReason)));
    if (p.includeUsage) {
      const usage = { prompt_tokens: r.promptIds.length, completion_tokens: r.ids.length, total_tokens: r.promptIds.length + r.ids.length };
      await sse.send({ ...meta, object, choices: [], usage });
    }
    await sse.done();
  } catch (e) {
    // Headers are out: report the failure in the stream, as OpenAI does, then close it.
    ac.abort();
    const err = toApiError(e);
    if (err.status >= 500) reply.log.error(e);
    await sse.send(err.body());
    sse.end();
  }
  return reply;
}
