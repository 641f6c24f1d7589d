/**
 * Starting and stopping a server: the port opens first (so /health answers 503 while the model
 * loads), then the model loads and one InferenceEngine serves every request. `close()` is the
 * graceful shutdown: stop accepting, let in-flight requests finish for up to the drain timeout,
 * cancel what is left, then free the engine and the model.
 */
import { basename } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { InferenceEngine, loadModel, type EngineOptions, type LlamaModel, type LoadModelOptions } from '@legato/core';
import { buildApp, type AppOptions, type ServerState } from './app.js';
import { DashboardFeed } from './dashboard.js';
import { ServerMetrics } from './metrics.js';
import { SHUTDOWN, type ServingContext } from './openai.js';

/** Everything `legato serve` configures. */
export interface ServeOptions extends AppOptions, Omit<EngineOptions, 'observer'> {
  /** GGUF path, or an already loaded model (tests; the server then does not dispose it). */
  model: string | LlamaModel;
  /** Name clients pass as `model`. Default: the file name without `.gguf`. */
  modelName?: string;
  host?: string;
  /** 0 picks a free port. Default 8080. */
  port?: number;
  threads?: number;
  backend?: LoadModelOptions['backend'];
  /** Most requests waiting for a batch slot; beyond it requests get 429. Default unlimited. */
  maxQueue?: number;
  /** How long shutdown waits for in-flight requests before cancelling them (ms). Default 30 000. */
  drainTimeoutMs?: number;
}

/** A listening server. */
export interface LegatoServer {
  readonly app: FastifyInstance;
  /** `http://host:port`. */
  readonly url: string;
  readonly port: number;
  readonly state: ServerState;
  /** Resolves when the model is loaded and requests are served (rejects if loading failed). */
  readonly ready: Promise<void>;
  /** Graceful shutdown; idempotent. */
  close(): Promise<void>;
}

const VERSION = '0.1.0';

/** Opens the port, then loads the model and starts the engine. */
export async function startServer(o: ServeOptions): Promise<LegatoServer> {
  const state: ServerState = { status: 'loading' };
  const app = await buildApp(state, o);
  const address = await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 8080 });
  const port = (app.server.address() as { port: number }).port;
  const inflight = new Set<AbortController>();
  const ownsModel = typeof o.model === 'string';
  const modelPath = typeof o.model === 'string' ? o.model : o.model.path;
  const modelName = o.modelName ?? basename(modelPath).replace(/\.gguf$/i, '');
  let model: LlamaModel | undefined;
  let engine: InferenceEngine | undefined;
  let metrics: ServerMetrics | undefined;

  const ready = (async () => {
    try {
      model = typeof o.model === 'string' ? await loadModel(o.model, { threads: o.threads, backend: o.backend }) : o.model;
      const contextSize = o.contextSize ?? Math.min(model.config.trainContext, 2048);
      metrics = new ServerMetrics(modelName, contextSize);
      engine = new InferenceEngine(model, {
        contextSize,
        maxSequences: o.maxSequences,
        maxBatchTokens: o.maxBatchTokens,
        kvType: o.kvType,
        blockSize: o.blockSize,
        kvMemoryBytes: o.kvMemoryBytes,
        gc: o.gc,
        prefixCaching: o.prefixCaching,
        observer: metrics.observer,
      });
      metrics.attach(engine);
      metrics.start();
      const serving: ServingContext = {
        model,
        engine,
        metrics,
        modelName,
        modelPath,
        maxQueue: o.maxQueue ?? Infinity,
        inflight,
        fingerprint: `legato-${VERSION}-${model.backend.name ?? 'cpu'}`,
      };
      state.dashboard = new DashboardFeed(metrics, engine);
      state.serving = serving;
      if (state.status === 'loading') state.status = 'ready';
    } catch (e) {
      state.status = 'failed';
      state.error = e instanceof Error ? e.message : String(e);
      throw e;
    }
  })();
  ready.catch(() => undefined); // reported through /health and the returned promise

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      state.status = 'draining';
      const stopListening = app.close();
      await ready.catch(() => undefined);
      const deadline = performance.now() + (o.drainTimeoutMs ?? 30_000);
      while (inflight.size > 0 && performance.now() < deadline) await sleep(20);
      for (const ac of inflight) ac.abort(SHUTDOWN);
      // Cancelled requests finish at the engine's next step; give them a moment to reply.
      const grace = performance.now() + 2000;
      while (inflight.size > 0 && performance.now() < grace) await sleep(10);
      // Idle keep-alive sockets and dashboard streams would hold server.close() open.
      app.server.closeAllConnections();
      await stopListening;
      state.dashboard?.dispose();
      metrics?.stop();
      engine?.dispose();
      if (ownsModel) model?.dispose();
    })());

  const url = address.replace('[::1]', '127.0.0.1');
  return { app, url, port, state, ready, close };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
