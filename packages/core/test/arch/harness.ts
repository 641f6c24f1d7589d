/**
 * Shared by the architecture tests: synthesizes the tiny model of each architecture once per run
 * (os.tmpdir), runs it teacher-forced through Legato's forward pass (optionally with a feature
 * switched off through the config's override hook) and compares with llama.cpp.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReferenceBackend, WasmBackend, type ComputeBackend } from '@legato/quant';
import { readGGUFHeader } from '../../src/gguf/header.js';
import { loadGGUF } from '../../src/gguf/load.js';
import { readLlamaConfig, type ConfigOverrides } from '../../src/model/config.js';
import { bindLlamaWeights } from '../../src/model/weights.js';
import { LlamaForward } from '../../src/model/forward.js';
import { ContiguousKVCache } from '../../src/model/kv-cache.js';
import { ARCH_SHAPES, synthesizeModel, type SynthType } from '../../src/synth/index.js';
import { modelPath } from '../../../../testing/models.js';

const dir = mkdtempSync(join(tmpdir(), 'legato-arch-'));
const made = new Map<string, Promise<string>>();

/** The tiny model `tiny-<arch>` in `type`, synthesized on first use in this run. */
export function tinyModel(shape: string, type: SynthType = 'F32'): Promise<string> {
  const key = `${shape}-${type}`;
  let p = made.get(key);
  if (!p) {
    const path = join(dir, `${key}.gguf`);
    p = synthesizeModel(path, { shape: ARCH_SHAPES[shape], type, threads: 1, seed: 7, vocabDir: modelPath('vocab') }).then(() => path);
    made.set(key, p);
  }
  return p;
}

/** A fixed pseudo-random token sequence (ids in [3, vocab)), so no position is a control token. */
export function testIds(n: number, vocab: number, seed = 1): number[] {
  let a = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    out.push(3 + ((a >>> 8) % (vocab - 3)));
  }
  return out;
}

export interface OurRunOptions {
  overrides?: ConfigOverrides;
  backend?: 'wasm' | 'reference';
  /** The context size the forward pass is built for (Phi-3 picks its rope factors by it). */
  contextSize?: number;
}

/** Legato's next-token distributions for every position of `ids` (one prefill of the whole sequence). */
export async function ourProbs(path: string, ids: readonly number[], o: OurRunOptions = {}): Promise<Float64Array[]> {
  const config = readLlamaConfig(readGGUFHeader(path), o.overrides);
  const file = await loadGGUF(path);
  const weights = bindLlamaWeights(file, config);
  const arena = file.arena;
  const backend: ComputeBackend = o.backend === 'reference' ? new ReferenceBackend() : await WasmBackend.create(arena, { threads: 1 });
  const ctx = o.contextSize ?? 256;
  const fwd = new LlamaForward(config, weights, backend, arena, { maxBatch: ids.length, maxContext: ctx });
  const kv = arena.allocF32(ContiguousKVCache.floatsNeeded(config.nLayers, ctx, config.kvDim));
  const cache = new ContiguousKVCache(kv, config.nLayers, ctx, config.kvDim);
  try {
    const logits = fwd.run(ids, ids.length, 0, cache, true);
    const V = config.vocabSize;
    const out: Float64Array[] = [];
    for (let i = 0; i < ids.length; i++) out.push(softmax(logits.subarray(i * V, (i + 1) * V)));
    return out;
  } finally {
    fwd.dispose();
    backend.dispose();
  }
}

/** Legato's greedy continuation of `prompt` for n tokens, decoding one token at a time. */
export async function ourGreedy(path: string, prompt: readonly number[], n: number, o: OurRunOptions = {}): Promise<number[]> {
  const config = readLlamaConfig(readGGUFHeader(path), o.overrides);
  const file = await loadGGUF(path);
  const weights = bindLlamaWeights(file, config);
  const arena = file.arena;
  const backend: ComputeBackend = o.backend === 'reference' ? new ReferenceBackend() : await WasmBackend.create(arena, { threads: 1 });
  const ctx = o.contextSize ?? 256;
  const fwd = new LlamaForward(config, weights, backend, arena, { maxBatch: Math.max(1, prompt.length), maxContext: ctx });
  const kv = arena.allocF32(ContiguousKVCache.floatsNeeded(config.nLayers, ctx, config.kvDim));
  const cache = new ContiguousKVCache(kv, config.nLayers, ctx, config.kvDim);
  try {
    let logits = fwd.run(prompt, prompt.length, 0, cache);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < logits.length; j++) if (logits[j] > logits[best]) best = j;
      out.push(best);
      logits = fwd.run([best], 1, prompt.length + i, cache);
    }
    return out;
  } finally {
    fwd.dispose();
    backend.dispose();
  }
}

export function softmax(l: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < l.length; i++) max = Math.max(max, l[i]);
  const p = new Float64Array(l.length);
  let s = 0;
  for (let i = 0; i < l.length; i++) s += p[i] = Math.exp(l[i] - max);
  for (let i = 0; i < l.length; i++) p[i] /= s;
  return p;
}

export interface Agreement {
  positions: number;
  /** Positions whose argmax agrees. */
  top1: number;
  /** Positions whose argmax differs although llama.cpp's top two are within `tieMargin` (near-ties). */
  nearTies: number;
  /** Largest per-position KL(llama.cpp ‖ Legato), nats. */
  maxKL: number;
  meanKL: number;
  /** Largest |Δp| over every position and token. */
  maxAbsDp: number;
  /** Mean entropy of llama.cpp's distributions, nats (how peaked they are). */
  meanEntropy: number;
}

const argmax = (p: Float64Array): number => {
  let b = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[b]) b = i;
  return b;
};

/** Compares Legato's distributions with llama.cpp's, position by position. */
export function compare(ours: Float64Array[], theirs: Float64Array[], tieMargin = 0.02): Agreement {
  const n = Math.min(ours.length, theirs.length);
  let top1 = 0, nearTies = 0, maxKL = 0, sumKL = 0, maxAbsDp = 0, sumH = 0;
  for (let i = 0; i < n; i++) {
    const a = ours[i], b = theirs[i];
    const ia = argmax(a), ib = argmax(b);
    if (ia === ib) top1++;
    else if (Math.abs(b[ia] - b[ib]) < tieMargin) nearTies++;
    let kl = 0, h = 0;
    for (let j = 0; j < b.length; j++) {
      const d = Math.abs((a[j] ?? 0) - b[j]);
      if (d > maxAbsDp) maxAbsDp = d;
      if (b[j] > 1e-12) {
        kl += b[j] * Math.log(b[j] / Math.max(a[j] ?? 0, 1e-30));
        h -= b[j] * Math.log(b[j]);
      }
    }
    sumKL += kl;
    sumH += h;
    if (kl > maxKL) maxKL = kl;
  }
  return { positions: n, top1, nearTies, maxKL, meanKL: sumKL / n, maxAbsDp, meanEntropy: sumH / n };
}
