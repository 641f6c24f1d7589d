/** Test servers on an ephemeral loopback port over the shared stories260K model. */
import { loadModel, type LlamaModel } from '@legato/core';
import { startServer, type LegatoServer, type ServeOptions } from '../src/index.js';
import { modelPath } from '../../../testing/models.js';

export const MODEL_FILE = 'stories260K.gguf';

/** Loads the test model once per file (one thread: the machine's cores are shared). */
export function loadTestModel(): Promise<LlamaModel> {
  return loadModel(modelPath(MODEL_FILE), { threads: 1 });
}

/** A ready server on 127.0.0.1:<ephemeral> over `model`. */
export async function testServer(model: LlamaModel, opts: Partial<ServeOptions> = {}): Promise<LegatoServer> {
  const server = await startServer({ model, modelName: 'stories', host: '127.0.0.1', port: 0, contextSize: 256, ...opts });
  await server.ready;
  return server;
}

/** The server's engine and pool, to check for leaks. */
export function engineOf(server: LegatoServer) {
  const s = server.state.serving;
  if (!s) throw new Error('server not ready');
  return s.engine;
}

/** Waits until the engine has no request left and asserts no KV block is held by a sequence. */
export async function expectNoLeak(server: LegatoServer, timeoutMs = 10_000): Promise<void> {
  const engine = engineOf(server);
  const deadline = performance.now() + timeoutMs;
  while ((engine.runningCount > 0 || engine.waitingCount > 0) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await engine.idle();
  const stats = engine.kvStats();
  engine.pool.checkInvariants();
  if (stats.blocksUsed !== 0 || stats.sequencesResident !== 0) {
    throw new Error(`KV leak: ${stats.blocksUsed} blocks used by ${stats.sequencesResident} sequences after every request ended`);
  }
}

/** POSTs JSON (or a raw string) and returns status, headers and parsed body. */
export async function post(url: string, body: unknown, init: { raw?: boolean; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Headers; json: any }> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.raw ? (body as string) : JSON.stringify(body),
  });
  const text = await r.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: r.status, headers: r.headers, json };
}
