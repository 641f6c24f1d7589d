/**
 * Issue 9, "A worker dies": a kernel worker that exits mid-step fails that step's generation with
 * the typed WorkerCrashedError, and the model stays usable: the next generation gives the same
 * tokens as before the crash (greedy), the worker restarted. Also for a worker killed between
 * generations. Same prompt each time, so a step that failed half-way must not leave poisoned K/V
 * behind in the prefix cache either.
 */
import { WasmBackend, WorkerCrashedError } from '@legato/quant';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadModel, type LlamaContext, type LlamaModel } from '../../src/index.js';
import { modelPath } from '../../../../testing/models.js';

/** Long enough that prefill splits its output matmul and attention across the team. */
const PROMPT = 'Once upon a time there was a little girl named Lily. She loved to play with her toys in the park with her friends every day.';
const OPTIONS = { maxTokens: 24, temperature: 0 } as const;
/** A generation of 24 tokens takes milliseconds: waiting longer means it hangs. */
const HANG_MS = 10_000;

let model: LlamaModel;
let backend: WasmBackend;
let fresh: number[];
/** The context whose generation the crash failed. */
let crashed: LlamaContext | undefined;

beforeAll(async () => {
  model = await loadModel(modelPath('stories260K.gguf'), { threads: 2 });
  if (!(model.backend instanceof WasmBackend)) throw new Error(`expected the WASM backend, got ${model.backend.name}`);
  backend = model.backend;
  const ctx = model.createContext({ contextSize: 256 });
  fresh = await generateIds(ctx);
  ctx.dispose();
  expect(fresh.length).toBe(OPTIONS.maxTokens);
});
afterAll(() => model?.dispose());

async function generateIds(ctx: LlamaContext): Promise<number[]> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`generation still pending after ${HANG_MS} ms`)), HANG_MS);
  });
  try {
    return (await Promise.race([ctx.generate(PROMPT, OPTIONS).result(), hang])).ids;
  } finally {
    clearTimeout(timer);
  }
}

async function inNewContext(): Promise<number[]> {
  const ctx = model.createContext({ contextSize: 256 });
  try {
    return await generateIds(ctx);
  } finally {
    ctx.dispose();
  }
}

describe('a kernel worker that dies', () => {
  it('mid-step: the generation fails with WorkerCrashedError, the next one equals a fresh run', async () => {
    let ctx = model.createContext({ contextSize: 256 });
    backend.injectWorkerFault('exit-on-claim');
    let error: unknown;
    // The fault fires on the first chunk a worker claims; a busy machine may let the calling
    // thread take every chunk of one prefill, so allow a few tries (each in a new context).
    for (let i = 0; i < 20 && error === undefined; i++) {
      if (i > 0) ctx = model.createContext({ contextSize: 256 });
      const t0 = performance.now();
      try {
        await generateIds(ctx);
      } catch (err) {
        error = err;
        expect(performance.now() - t0).toBeLessThan(HANG_MS);
      }
    }
    crashed = ctx;
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error as WorkerCrashedError).reason).toBe('exit');
    await vi.waitFor(() => expect(backend.activeThreads).toBe(2), { timeout: 10_000 });
    expect(await inNewContext()).toEqual(fresh);
  });

  it('mid-step: the context whose generation failed serves the next one, equal to a fresh run', async () => {
    expect(crashed).toBeDefined();
    expect(await generateIds(crashed!)).toEqual(fresh);
  });

  it('between generations: the next generation equals a fresh run', async () => {
    await backend.terminateWorker(0);
    expect(backend.activeThreads).toBe(2);
    expect(await inNewContext()).toEqual(fresh);
  });
});
