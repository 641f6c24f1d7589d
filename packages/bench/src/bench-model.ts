/**
 * The model a benchmark runs on: the file given, or by default a random-weight model in a known
 * shape, synthesized once and cached (the timings are real; the text is gibberish).
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadModel, type LlamaModel } from '@legato/core';
import { SHAPES, synthesizeModel, type ModelShape, type SynthType } from '@legato/core/synth';

/**
 * Extra shapes for benchmarks. stories42M (llama2.c's 42M TinyStories model) decodes four
 * batched streams at ~30 ms a step with the WASM backend on a 2-core machine: slow enough that
 * a 100 ms pause every 50 tokens barely moves mean tokens/s, as in a 1B-class deployment, and
 * fast enough for a lab that finishes in well under a minute.
 */
export const BENCH_SHAPES: Readonly<Record<string, ModelShape>> = {
  stories42m: { name: 'stories42m', dim: 512, nLayers: 8, nHeads: 8, nKVHeads: 8, ffnDim: 1376, vocabSize: 32000, contextLength: 1024, rmsEps: 1e-5, ropeFreqBase: 10000 },
};

/** A shape by name: the core's SHAPES or {@link BENCH_SHAPES}. */
export function benchShape(name: string): ModelShape | undefined {
  return SHAPES[name] ?? BENCH_SHAPES[name];
}

/** Options for {@link ensureSynthModel}. */
export interface SynthCacheOptions {
  /** Shape name (SHAPES or BENCH_SHAPES) or a shape. Default 'stories42m'. */
  shape?: string | ModelShape;
  /** Default 'Q4_0'. */
  type?: SynthType;
  /** Default: $LEGATO_CACHE, else ./.cache/legato. */
  dir?: string;
  /** Called before a (slow) synthesis starts. */
  onSynthesize?: (path: string) => void;
}

/** Default cache directory: $LEGATO_CACHE or ./.cache/legato. */
export function defaultCacheDir(): string {
  return resolve(process.env.LEGATO_CACHE ?? join(process.cwd(), '.cache', 'legato'));
}

/** Path of the cached synthetic model, synthesizing it first if missing. */
export async function ensureSynthModel(opts: SynthCacheOptions = {}): Promise<string> {
  const shape = typeof opts.shape === 'object' ? opts.shape : benchShape(opts.shape ?? 'stories42m');
  if (!shape) throw new RangeError(`unknown shape ${String(opts.shape)} (known: ${[...Object.keys(SHAPES), ...Object.keys(BENCH_SHAPES)].join(', ')})`);
  const type = opts.type ?? 'Q4_0';
  const dir = resolve(opts.dir ?? defaultCacheDir());
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `synth-${shape.name}-${type}.gguf`);
  if (!existsSync(file)) {
    opts.onSynthesize?.(file);
    // Write aside and rename, so a concurrent or interrupted run never sees half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    await synthesizeModel(tmp, { shape, type, seed: 1 });
    renameSync(tmp, file);
  }
  return file;
}

/** Options for {@link loadBenchModel}. */
export interface BenchModelOptions extends SynthCacheOptions {
  /** A GGUF file; when absent, the cached synthetic model of `shape`/`type`. */
  path?: string;
  /** Compute backend. Default 'auto'. */
  backend?: 'auto' | 'wasm' | 'reference';
  /** Threads of the WASM backend. Default: one per core. */
  threads?: number;
}

/** Loads the model a benchmark runs on: the given file, or the synthetic default. */
export async function loadBenchModel(o: BenchModelOptions = {}): Promise<LlamaModel> {
  const path = o.path ?? (await ensureSynthModel(o));
  return loadModel(path, { backend: o.backend, threads: o.threads });
}
