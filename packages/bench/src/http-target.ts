/**
 * Any OpenAI-compatible server (Legato's, llama-server, vLLM) as a {@link ServeTarget}: each
 * request is one streaming POST to /v1/completions or /v1/chat/completions, timed on the client
 * as `vllm bench serve` times it — every server-sent chunk that carries text is a token arrival
 * (TTFT to the first, ITL between chunks), and the output length is the server's own
 * `usage.completion_tokens` (asked for with `stream_options.include_usage`) when it sends one.
 */
import type { SendResult, ServeTarget, TokenSink } from './serve.js';
import type { LoadRequest } from './workloads.js';

/** A load request that may carry text instead of (or as well as) token ids. */
export interface HttpLoadRequest extends LoadRequest {
  /** Prompt text (a dataset's); when absent the token ids are sent (completions only). */
  prompt?: string;
}

/** Options for {@link httpTarget}. */
export interface HttpTargetOptions {
  /** Server base URL, e.g. `http://127.0.0.1:8080` (a trailing `/v1` is accepted). */
  url: string;
  /** `model` field of every request. Default: the first model /v1/models lists. */
  model?: string;
  /** Which API to drive. Default 'completions'. */
  endpoint?: 'completions' | 'chat';
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Ask the server to keep generating past EOS so every request has its exact length. Default true. */
  ignoreEos?: boolean;
  /** Sampling temperature. Default 0 (greedy, as benchmark clients usually send). */
  temperature?: number;
  /** Abort a request that takes longer than this (ms). Default 10 minutes. */
  timeoutMs?: number;
}

/** Base URL without a trailing slash or `/v1`. */
export function serverBase(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** The first model id the server lists at /v1/models. */
export async function firstModel(url: string, apiKey?: string): Promise<string> {
  const r = await fetch(`${serverBase(url)}/v1/models`, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} });
  if (!r.ok) throw new Error(`GET /v1/models: HTTP ${r.status}`);
  const body = (await r.json()) as { data?: { id?: string }[] };
  const id = body.data?.[0]?.id;
  if (!id) throw new Error('GET /v1/models listed no model; pass --model');
  return id;
}

/** Yields the `data:` payload of each server-sent event of a streamed body. */
async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const dec = new TextDecoder();
  let buf = '';
  for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
    buf += dec.decode(bytes, { stream: true });
    for (let end = buf.search(/\r?\n\r?\n/); end >= 0; end = buf.search(/\r?\n\r?\n/)) {
      const event = buf.slice(0, end);
      buf = buf.slice(end + (buf[end] === '\r' ? 4 : 2));
      const data = event
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data) yield data;
    }
  }
}

interface StreamChunk {
  choices?: { text?: string | null; delta?: { content?: string | null; reasoning_content?: string | null } }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string } | string;
}

/** A target that sends each request to an OpenAI-compatible server over HTTP. */
export function httpTarget(opts: HttpTargetOptions & { model: string }): ServeTarget {
  const base = serverBase(opts.url);
  const endpoint = opts.endpoint ?? 'completions';
  const path = endpoint === 'chat' ? '/v1/chat/completions' : '/v1/completions';
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
  return {
    async send(req: HttpLoadRequest, onTokens: TokenSink): Promise<SendResult> {
      const prompt = req.prompt ?? req.promptIds;
      if (endpoint === 'chat' && typeof prompt !== 'string') throw new Error('the chat endpoint needs text prompts (--dataset)');
      const body: Record<string, unknown> = {
        model: opts.model,
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: req.outputTokens,
        temperature: opts.temperature ?? 0,
        ignore_eos: opts.ignoreEos ?? true,
      };
      if (endpoint === 'chat') body.messages = [{ role: 'user', content: prompt }];
      else body.prompt = prompt;
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 600_000),
      });
      if (!res.ok || !res.body) {
        const text = (await res.text().catch(() => '')).slice(0, 200);
        throw new Error(`HTTP ${res.status}${text ? `: ${text}` : ''}`);
      }
      let chunks = 0;
      let last = NaN;
      let usage: StreamChunk['usage'];
      for await (const data of sseData(res.body)) {
        if (data === '[DONE]') break;
        const now = performance.now();
        const c = JSON.parse(data) as StreamChunk;
        if (c.error) throw new Error(`stream error: ${typeof c.error === 'string' ? c.error : c.error.message ?? 'unknown'}`);
        if (c.usage) usage = c.usage;
        const choice = c.choices?.[0];
        const text = choice ? (choice.text ?? choice.delta?.content ?? choice.delta?.reasoning_content ?? '') : '';
        if (text) {
          onTokens(now, 1);
          chunks++;
          last = now;
        }
      }
      // Tokens the server counted beyond the chunks seen arrived inside them: credit them to the
      // last chunk, so TPOT uses the true output length while ITL stays per chunk (vLLM's way).
      const total = usage?.completion_tokens ?? chunks;
      if (total > chunks && chunks > 0) onTokens(last, total - chunks);
      return { outputTokens: Math.max(total, chunks), promptTokens: usage?.prompt_tokens };
    },
  };
}
