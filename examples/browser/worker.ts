/**
 * Legato in a dedicated worker: a page's main thread may not block, and the kernel team's calling
 * thread waits (Atomics.wait) while its workers finish a job. Loads a model from a URL or a File
 * (streamed into the arena with progress), then streams completions or chat replies back.
 */
import { cachedModelSource, ChatSession, loadModel, type Generation, type LlamaContext, type LlamaModel } from '@legato/core';
import { benchOnce } from './bench.js';
import type { FromWorker, ToWorker } from './protocol.js';

let model: LlamaModel | undefined;
let ctx: LlamaContext | undefined;
let chat: ChatSession | undefined;
let running: Generation | undefined;

const post = (m: FromWorker): void => postMessage(m);

async function load(given: string | File, threads: number | undefined, cache: boolean): Promise<void> {
  running?.cancel();
  model?.dispose();
  model = undefined;
  const t0 = performance.now();
  // A URL may come from (or go into) the Origin Private File System cache.
  const { source, cached } = cache && typeof given === 'string' ? await cachedModelSource(given) : { source: given, cached: false };
  const m = await loadModel(source, {
    threads,
    onProgress: (p) => post({ type: 'progress', loadedBytes: p.loadedBytes, totalBytes: p.totalBytes, fraction: p.fraction }),
  });
  model = m;
  ctx = m.createContext({ contextSize: Math.min(2048, m.config.trainContext || 2048) });
  chat = new ChatSession(ctx);
  const backend = m.backend.name;
  post({
    type: 'loaded', label: typeof given === 'string' ? given : m.path, cached, backend, threads: (m.backend as { threads?: number }).threads ?? 1,
    isolated: globalThis.crossOriginIsolated === true, loadMs: performance.now() - t0,
    architecture: String(m.metadata['general.architecture'] ?? '?'),
  });
}

async function generate(msg: Extract<ToWorker, { type: 'generate' }>): Promise<void> {
  if (!model || !ctx || !chat) throw new Error('load a model first');
  const options = { maxTokens: msg.maxTokens, temperature: msg.temperature, seed: msg.seed };
  const gen = msg.mode === 'chat' ? chat.prompt(msg.text, options) : ctx.generate(msg.text, options);
  running = gen;
  try {
    for await (const t of gen) post({ type: 'token', id: t.id, text: t.text, time: t.time });
    const r = await gen.result();
    post({
      type: 'done', ids: r.ids, promptIds: r.promptIds, text: r.text, finishReason: r.finishReason,
      ttftMs: r.timings.ttftMs, decodeTokensPerSecond: r.timings.decodeTokensPerSecond,
      prefillTokensPerSecond: r.timings.prefillTokensPerSecond,
    });
  } finally {
    running = undefined;
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  const fail = (err: unknown): void => post({ type: 'error', message: String((err as Error)?.message ?? err).slice(0, 300) });
  if (msg.type === 'load') load(msg.source, msg.threads, msg.cache === true).catch(fail);
  else if (msg.type === 'generate') generate(msg).catch(fail);
  else if (msg.type === 'stop') running?.cancel();
  else if (msg.type === 'bench') {
    if (!model) fail(new Error('load a model first'));
    else benchOnce(model, msg.promptTokens, msg.genTokens).then((r) => post({ type: 'bench', ...r }), fail);
  }
  else if (msg.type === 'reset' && ctx) chat = new ChatSession(ctx);
};
