/**
 * The traps a user hit on the one generation path (issue 9): each test here failed before the
 * engine became the only place a request runs.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ContextBusyError,
  DisposedError,
  InferenceEngine,
  InvalidOptionError,
  loadModel,
  type GeneratedToken,
  type Generation,
  type LlamaModel,
} from '../../src/index.js';
import { modelPath } from '../../../../testing/models.js';

const refs = JSON.parse(readFileSync(modelPath('reference-greedy.json'), 'utf8'));
const greedyIds: number[] = refs['stories260K.gguf'].numpy_greedy_ids;
let model: LlamaModel;
beforeAll(async () => {
  model = await loadModel(modelPath('stories260K.gguf'), { backend: 'reference' });
});
afterAll(() => model.dispose());

async function collect(g: Generation): Promise<GeneratedToken[]> {
  const out: GeneratedToken[] = [];
  for await (const t of g) out.push(t);
  return out;
}

/** Rejects if `p` does not settle within `ms` (a hang is a failure, not a timeout of the suite). */
function within<T>(p: Promise<T>, ms = 5000): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`did not settle in ${ms} ms`)), ms))]);
}

describe('breaking out of the stream', () => {
  it('cancels the generation: result() resolves at once with finishReason abort and the tokens seen', async () => {
    const ctx = model.createContext({ contextSize: 256 });
    const gen = ctx.generate('Once upon a time', { temperature: 0, maxTokens: 200, ignoreEos: true });
    const seen: number[] = [];
    for await (const t of gen) {
      seen.push(t.id);
      if (seen.length === 3) break;
    }
    const r = await within(gen.result());
    expect(r.finishReason).toBe('abort');
    expect(r.ids.slice(0, 3)).toEqual(seen);
    expect(r.ids.length).toBeLessThanOrEqual(4); // at most the token produced while the break landed
    // The context is free again and nothing leaked.
    expect(ctx.kvPool.stats().blocksUsed).toBe(0);
    const again = await ctx.generate('Once upon a time', { temperature: 0, maxTokens: 3 }).result();
    expect(again.ids).toEqual(greedyIds.slice(0, 3));
    ctx.dispose();
  });
});

describe('options are checked before any state changes', () => {
  const bad: [string, object, RegExp][] = [
    ['maxTokens -1', { maxTokens: -1 }, /maxTokens must be a non-negative integer, got -1/],
    ['maxTokens NaN', { maxTokens: NaN }, /maxTokens must be a non-negative integer, got NaN/],
    ['maxTokens 1.5', { maxTokens: 1.5 }, /maxTokens must be a non-negative integer, got 1.5/],
    ['maxTokens Infinity', { maxTokens: Infinity }, /maxTokens/],
    ['maxTokens "8"', { maxTokens: '8' }, /maxTokens must be a non-negative integer, got "8"/],
    ['temperature NaN', { temperature: NaN }, /temperature/],
    ['topP 2', { topP: 2 }, /topP/],
    ['stop 5', { stop: 5 }, /stop must be a string or an array of strings/],
    ['stop [""]', { stop: [''] }, /stop must be non-empty strings/],
    ['stop [1]', { stop: [1] }, /stop must be non-empty strings/],
    ['signal {}', { signal: {} }, /signal must be an AbortSignal/],
    ['ignoreEos "yes"', { ignoreEos: 'yes' }, /ignoreEos must be a boolean/],
    ['logprobs 99', { logprobs: 99 }, /logprobs must be an integer in \[0, 20\]/],
  ];
  for (const [what, opts, message] of bad) {
    it(`${what}: a typed error naming the option; the context stays usable`, async () => {
      const ctx = model.createContext({ contextSize: 128 });
      let err: unknown;
      try {
        ctx.generate('Once upon a time', opts as never);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidOptionError);
      expect((err as Error).message).toMatch(message);
      expect((err as InvalidOptionError).option).toBe(what.split(' ')[0]);
      const r = await within(ctx.generate('Once upon a time', { temperature: 0, maxTokens: 2 }).result());
      expect(r.ids).toEqual(greedyIds.slice(0, 2));
      ctx.dispose();
    });
  }

  it('an error message never carries more than a short preview of the value', () => {
    const ctx = model.createContext({ contextSize: 128 });
    const huge = 'x'.repeat(100_000);
    let err: Error | undefined;
    try {
      ctx.generate('Once', { stop: [huge.slice(0, 2000)] });
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect(err!.message.length).toBeLessThan(300);
    ctx.dispose();
  });

  it('maxTokens 0 generates nothing and leaves the context free', async () => {
    const ctx = model.createContext({ contextSize: 128 });
    const r = await within(ctx.generate('Once upon a time', { maxTokens: 0 }).result());
    expect(r.ids).toEqual([]);
    expect(r.finishReason).toBe('length');
    expect((await ctx.generate('Once upon a time', { temperature: 0, maxTokens: 1 }).result()).ids).toEqual(greedyIds.slice(0, 1));
    ctx.dispose();
  });

  it('one generation at a time per context: the second is refused, the first unharmed', async () => {
    const ctx = model.createContext({ contextSize: 128 });
    const a = ctx.generate('Once upon a time', { temperature: 0, maxTokens: 5 });
    expect(() => ctx.generate('Once upon a time')).toThrow(ContextBusyError);
    expect((await a.result()).ids).toEqual(greedyIds.slice(0, 5));
    ctx.dispose();
  });
});

describe('stop strings', () => {
  it('a single string is one stop string, not a list of letters', async () => {
    const ctx = model.createContext({ contextSize: 128 });
    const r = await ctx.generate('Once upon a time', { temperature: 0, maxTokens: 32, stop: 'Lily' }).result();
    expect(r.finishReason).toBe('stop');
    expect(r.text).toBe(', there was a little girl named ');
    ctx.dispose();
  });

  it('text held back for a possible stop string is streamed when the generation ends (length)', async () => {
    const ctx = model.createContext({ contextSize: 128 });
    const gen = ctx.generate('Once upon a time', { temperature: 0, maxTokens: 10, stop: ['named Lily X'] });
    const streamed = (await collect(gen)).map((t) => t.text).join('');
    const r = await gen.result();
    expect(r.finishReason).toBe('length');
    expect(r.text).toBe(', there was a little girl named Lily');
    expect(streamed).toBe(r.text);
    ctx.dispose();
  });

  it('held-back text is streamed as a closing text-only piece when the generation ends on end-of-text or abort', async () => {
    // Greedy, TinyLLama-v0 writes its story and ends it (EOS after 106 tokens); a stop string that
    // never completes but whose start is the story's last word holds that word back until the end.
    const m = await loadModel(modelPath('TinyLLama-v0-Q4_0.gguf'), { backend: 'reference' });
    const ctx = m.createContext({ contextSize: 256 });
    const freeGen = ctx.generate('Once upon a time', { temperature: 0, maxTokens: 200 });
    const firstPiece = (await collect(freeGen))[0].text;
    const free = await freeGen.result();
    expect(free.finishReason).toBe('eos');
    const lastWord = free.text.trimEnd().split(/\s+/).pop()!;
    const gen = ctx.generate('Once upon a time', { temperature: 0, maxTokens: 200, stop: [`${lastWord} NEVER`] });
    const pieces = await collect(gen);
    const r = await gen.result();
    expect(r.finishReason).toBe('eos');
    expect(r.text).toBe(free.text);
    expect(pieces.map((t) => t.text).join('')).toBe(r.text);
    const closing = pieces[pieces.length - 1];
    expect(closing.id).toBe(-1);
    expect(closing.text.length).toBeGreaterThan(0);
    expect(pieces.filter((t) => t.id >= 0).map((t) => t.id)).toEqual(r.ids);
    // The same on abort: the held-back word is released in the closing piece.
    const ac = new AbortController();
    const cut = ctx.generate('Once upon a time', { temperature: 0, maxTokens: 200, stop: [`${firstPiece}\u0001NEVER`], signal: ac.signal });
    const got: GeneratedToken[] = [];
    for await (const t of cut) {
      got.push(t);
      if (got.length === 1) ac.abort();
    }
    const rc = await cut.result();
    expect(rc.finishReason).toBe('abort');
    expect(got[0].text).toBe(''); // held back: it might have begun the stop string
    expect(got[got.length - 1]).toMatchObject({ id: -1, text: firstPiece });
    expect(got.map((t) => t.text).join('')).toBe(rc.text);
    m.dispose();
  });
});

describe('abort means one thing at every moment: finishReason abort, nothing thrown, nothing leaked', () => {
  it('a signal already aborted', async () => {
    const ctx = model.createContext({ contextSize: 128 });
    const gen = ctx.generate('Once upon a time', { signal: AbortSignal.abort() });
    const pieces = await collect(gen);
    const r = await within(gen.result());
    expect(r.finishReason).toBe('abort');
    expect(r.ids).toEqual([]);
    expect(pieces).toEqual([]);
    expect((await ctx.generate('Once upon a time', { temperature: 0, maxTokens: 2 }).result()).ids).toEqual(greedyIds.slice(0, 2));
    ctx.dispose();
  });

  it('while queued behind other requests', async () => {
    const engine = new InferenceEngine(model, { contextSize: 128, maxSequences: 1 });
    const first = engine.submit('Once upon a time', { temperature: 0, maxTokens: 20, ignoreEos: true });
    const ac = new AbortController();
    const queued = engine.submit('Once upon a time', { temperature: 0, maxTokens: 20, signal: ac.signal });
    ac.abort();
    const r = await within(queued.result());
    expect(r.finishReason).toBe('abort');
    expect(r.ids).toEqual([]);
    expect(Number.isNaN(r.admission)).toBe(true);
    expect((await first.result()).finishReason).toBe('length');
    await engine.idle();
    expect(engine.kvStats().blocksUsed).toBe(0);
    engine.dispose();
  });

  it('during prefill', async () => {
    const ctx = model.createContext({ contextSize: 2048, batchSize: 8 });
    const ac = new AbortController();
    const long = Array.from({ length: 1500 }, (_, i) => 300 + (i % 100));
    const gen = ctx.generate([1, ...long], { temperature: 0, maxTokens: 4, signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    const r = await within(gen.result());
    expect(r.finishReason).toBe('abort');
    expect(r.ids).toEqual([]);
    expect(ctx.kvPool.stats().blocksUsed).toBe(0);
    ctx.dispose();
  });

  it('during decoding, by signal or by cancel()', async () => {
    for (const how of ['signal', 'cancel'] as const) {
      const ctx = model.createContext({ contextSize: 256 });
      const ac = new AbortController();
      const gen = ctx.generate('Once upon a time', { temperature: 0, maxTokens: 200, ignoreEos: true, signal: ac.signal });
      let n = 0;
      for await (const _t of gen) {
        if (++n === 5) {
          if (how === 'signal') ac.abort();
          else gen.cancel();
        }
      }
      const r = await gen.result();
      expect(r.finishReason).toBe('abort');
      expect(r.ids).toHaveLength(5);
      expect(r.ids).toEqual(greedyIds.slice(0, 5));
      ctx.dispose();
    }
  });
});

describe('dispose', () => {
  it('disposing the model mid-stream ends the stream with a DisposedError', async () => {
    const m = await loadModel(modelPath('stories260K.gguf'), { backend: 'reference' });
    const ctx = m.createContext({ contextSize: 256 });
    const gen = ctx.generate('Once upon a time', { temperature: 0, maxTokens: 200, ignoreEos: true });
    let n = 0;
    let err: unknown;
    try {
      for await (const _t of gen) if (++n === 3) m.dispose();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DisposedError);
    await expect(gen.result()).rejects.toBeInstanceOf(DisposedError);
    expect(() => ctx.generate('x')).toThrow(DisposedError);
  });

  it('Symbol.dispose on model, context and engine', async () => {
    const m = await loadModel(modelPath('stories260K.gguf'), { backend: 'reference' });
    const ctx = m.createContext({ contextSize: 64 });
    const engine = new InferenceEngine(m, { contextSize: 64 });
    ctx[Symbol.dispose]();
    expect(() => ctx.generate('x')).toThrow(DisposedError);
    engine[Symbol.dispose]();
    expect(() => engine.submit('x')).toThrow(DisposedError);
    m[Symbol.dispose]();
    expect(m.isDisposed).toBe(true);
  });
});

describe('loading', () => {
  it('a file URL loads (the type says so)', async () => {
    const m = await loadModel(pathToFileURL(modelPath('stories260K.gguf')), { backend: 'reference' });
    expect(m.config.vocabSize).toBe(512);
    m.dispose();
  });

  it('bad load options are typed errors naming the option', async () => {
    await expect(loadModel(modelPath('stories260K.gguf'), { threads: 0 })).rejects.toThrow(/threads must be an integer in \[1, 256\], got 0/);
    await expect(loadModel(modelPath('stories260K.gguf'), { threads: 0 })).rejects.toBeInstanceOf(InvalidOptionError);
  });
});

describe('logprobs', () => {
  it('equal the log-softmax of the logits evaluate() gives, with the top alternatives in order', async () => {
    const ctx = model.createContext({ contextSize: 128 });
    const gen = ctx.generate('Once upon a time', { temperature: 0, maxTokens: 6, logprobs: 3 });
    const pieces = await collect(gen);
    const r = await gen.result();
    const all = [...r.promptIds, ...r.ids];
    const rows: Float32Array[] = [];
    await ctx.evaluate(all, { onLogits: (_p, l) => rows.push(l.slice()) });
    for (let i = 0; i < r.ids.length; i++) {
      const logits = rows[r.promptIds.length - 1 + i];
      const max = Math.max(...logits);
      const lse = max + Math.log(logits.reduce((s, x) => s + Math.exp(x - max), 0));
      expect(pieces[i].logprob!).toBeCloseTo(logits[r.ids[i]] - lse, 4);
      const top = [...logits.keys()].sort((a, b) => logits[b] - logits[a] || a - b).slice(0, 3);
      expect(pieces[i].topLogprobs!.map((t) => t.id)).toEqual(top);
      expect(pieces[i].topLogprobs![0].id).toBe(r.ids[i]); // greedy picks the most likely
    }
    ctx.dispose();
  });
});
