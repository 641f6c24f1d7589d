/**
 * Fuzzes the GGUF loader with fast-check: one to three structural mutations (mutations.ts) of a
 * shared model, loaded from memory. Every case must end in a GGUFError or a load, within 2 s, and a
 * load must keep every tensor inside the file. The long run is `pnpm fuzz:gguf --cases 100000`.
 *
 * The corpus is every small model (top level, legacy/, random/) and the three smallest vocabularies;
 * the 6–8 MB vocabularies take 150–300 ms a parse and are left to the long run. The seed is fixed so
 * a failure reproduces; GGUF_FUZZ_SEED / GGUF_FUZZ_RUNS change it for a longer local run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Arena } from '@legato/quant';
import { modelsDir } from '../../../../testing/models.js';
import { applyMutations, mutationsArb, MUTATION_KINDS, runCase, scanLayout, type Mutation } from './mutations.js';

const VOCABS = ['vocab/ggml-vocab-llama-spm.gguf', 'vocab/ggml-vocab-bert-bge.gguf', 'vocab/ggml-vocab-phi-3.gguf'];
const root = modelsDir();
const names = [
  ...['', 'legacy', 'random'].flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.gguf')).map((f) => (d ? `${d}/${f}` : f))),
  ...VOCABS,
].sort();
const corpus = names.map((name) => {
  const bytes = new Uint8Array(readFileSync(join(root, name)));
  return { name, bytes, layout: scanLayout(bytes) };
});

const SEED = Number(process.env.GGUF_FUZZ_SEED ?? 20261207);
const RUNS = Number(process.env.GGUF_FUZZ_RUNS ?? 2500);
const LIMIT_MS = 2000;

const show = (ms: readonly Mutation[]) => JSON.stringify(ms, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));

describe('GGUF fuzzing', () => {
  it('the corpus covers GGUF v1, v2 and v3, quantized and float models, and vocab-only files', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(19);
    expect(new Set(corpus.map((c) => c.layout.version))).toEqual(new Set([1, 2, 3]));
    expect(corpus.some((c) => c.layout.tensors.length === 0)).toBe(true);
  });

  it(`${RUNS} random mutations of every model end in a GGUFError or a load, each within ${LIMIT_MS} ms`, async () => {
    const arena = new Arena({ initialBytes: 8 << 20 });
    const outcomes = new Map<string, number>();
    const kinds = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: corpus.length - 1 }), mutationsArb, async (fileIndex, ms) => {
        const f = corpus[fileIndex];
        const { bytes, label } = applyMutations(f.bytes, f.layout, ms);
        let r;
        try {
          r = await runCase(bytes, arena);
        } catch (e) {
          throw new Error(`${f.name}: ${label} → ${String((e as Error)?.stack ?? e)}`);
        }
        if (r.ms > LIMIT_MS) throw new Error(`${f.name}: ${label} took ${r.ms.toFixed(0)} ms`);
        outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
        for (const m of ms) kinds.add(m.kind);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true, reporter: (d) => { if (d.failed) throw new Error(`seed ${SEED}, counterexample ${d.counterexample ? `${d.counterexample[0]} ${show(d.counterexample[1])}` : '?'}: ${String(d.errorInstance)}`); } },
    );
    // The run exercised every kind of mutation and reached both outcomes and the main error kinds.
    expect([...kinds].sort()).toEqual([...MUTATION_KINDS].sort());
    expect(outcomes.get('loaded') ?? 0).toBeGreaterThan(0);
    for (const code of ['TRUNCATED', 'COUNT_TOO_LARGE', 'BAD_VALUE_TYPE', 'BAD_DIMS', 'UNKNOWN_TENSOR_TYPE', 'MISALIGNED', 'OVERLAP', 'TENSOR_OUT_OF_BOUNDS', 'DUPLICATE_TENSOR', 'DUPLICATE_KEY']) {
      expect(outcomes.get(code) ?? 0, code).toBeGreaterThan(0);
    }
    // Every load was freed again.
    expect(arena.liveBytes).toBeLessThan(1 << 20);
  }, 120_000);
});
