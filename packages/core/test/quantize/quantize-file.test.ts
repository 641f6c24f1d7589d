/**
 * quantizeFile against llama-quantize's own files (same source, same command → the same bytes,
 * header and tensor order included), against ggml's reference Q8_0/Q4_0 quantizers (a literal
 * port in the quant tests), and against llama.cpp running the result.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GGMLType, typeName } from '@legato/quant';
import { modelPath } from '../../../../testing/models.js';
import { llamaCppNextTokenProbs } from '../../../../testing/llamacpp.js';
import { ggmlQuantizeRowQ4_0, ggmlQuantizeRowQ8_0 } from '../../../quant/test/helpers/ggml-port.js';
import { loadModel, type LlamaModel } from '../../src/index.js';
import { readGGUFHeader } from '../../src/gguf/index.js';
import { QuantizeError, quantizeFile, type QuantizeFileResult } from '../../src/quantize/index.js';
import { parseShape, synthesizeModel } from '../../src/synth/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'legato-quantize-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

describe('reproduces llama-quantize byte for byte', () => {
  it.each([
    ['Q4_K_M', 'TinyLLama-v0-Q4_K_M.gguf'],
    ['Q5_K_M', 'TinyLLama-v0-Q5_K_M.gguf'],
  ])('TinyLLama-v0-Q4_0 → %s with --token-embedding-type q4_0 --output-tensor-type q4_0', async (target, ref) => {
    const out = join(tmp, `tl-${target}.gguf`);
    const r = await quantizeFile(modelPath('TinyLLama-v0-Q4_0.gguf'), out, {
      target,
      threads: 1,
      tokenEmbeddingType: GGMLType.Q4_0,
      outputTensorType: GGMLType.Q4_0,
    });
    expect(r.tensors).toHaveLength(75);
    expect(firstDifference(readFileSync(out), readFileSync(modelPath(ref)))).toBe(-1);
  });

  // F32 → each type. On 2 threads token_embd (262,144 elements) goes to the workers and the
  // small tensors stay in-process; starting workers costs ~1 s, so only two types do both.
  it.each(['F16', 'BF16', 'Q8_0', 'Q5_1', 'Q5_0', 'Q4_1', 'Q4_0'])('TinyStories-656K-F32 → %s', async (target) => {
    const ref = readFileSync(modelPath(`TinyStories-656K-${target}.gguf`));
    for (const threads of target === 'Q4_0' || target === 'Q8_0' ? [2, 1] : [1]) {
      const out = join(tmp, `ts-${target}-${threads}.gguf`);
      await quantizeFile(modelPath('TinyStories-656K-F32.gguf'), out, { target, threads });
      expect(firstDifference(readFileSync(out), ref)).toBe(-1);
    }
  });
});

/** TinyLLama-v0-Q4_0 → Q4_K_M without overrides, on 2 threads (token_embd goes to the workers). */
let plainQ4KM: Promise<{ path: string; result: QuantizeFileResult }> | undefined;
function quantizedPlainQ4KM(): Promise<{ path: string; result: QuantizeFileResult }> {
  const path = join(tmp, 'tl-q4km-plain.gguf');
  plainQ4KM ??= quantizeFile(modelPath('TinyLLama-v0-Q4_0.gguf'), path, { target: 'Q4_K_M', threads: 2 }).then((result) => ({ path, result }));
  return plainQ4KM;
}

describe('metadata and types', () => {
  it('copies the metadata with its types, then appends quantization_version and file_type', async () => {
    const out = join(tmp, 'meta.gguf');
    await quantizeFile(modelPath('TinyLLama-v0-Q4_0.gguf'), out, { target: 'q5_k', threads: 1 });
    const before = readGGUFHeader(modelPath('TinyLLama-v0-Q4_0.gguf')).typedMetadata;
    const after = [...readGGUFHeader(out).typedMetadata];
    expect(after.slice(-2)).toEqual([
      ['general.quantization_version', { type: 4, value: 2 }],
      ['general.file_type', { type: 4, value: 17 }],
    ]);
    expect(new Map(after.slice(0, -2))).toEqual(new Map([...before].filter(([k]) => k !== 'general.file_type')));
  });

  it('without overrides, token_embd falls back to Q5_0 and output to Q8_0 (rows of 64)', async () => {
    const { path: out, result: r } = await quantizedPlainQ4KM();
    const types = Object.fromEntries(readGGUFHeader(out).tensors.map((t) => [t.name, typeName(t.type)]));
    expect(types['token_embd.weight']).toBe('Q5_0');
    expect(types['output.weight']).toBe('Q8_0');
    const ref = Object.fromEntries(readGGUFHeader(modelPath('TinyLLama-v0-Q4_K_M.gguf')).tensors.map((t) => [t.name, typeName(t.type)]));
    for (const name of Object.keys(ref).filter((n) => n !== 'token_embd.weight' && n !== 'output.weight')) {
      expect(types[name], name).toBe(ref[name]);
    }
    expect(r.tensors.find((t) => t.name === 'blk.0.ffn_down.weight')).toMatchObject({ from: GGMLType.Q4_0, to: GGMLType.Q6_K });
  });
});

describe('Q8_0 and Q4_0 against ggml reference quantizers', () => {
  // Rows of 256 so that output.weight is Q6_K under the rules; 2 layers; F32 weights.
  const shape = parseShape('{"dim":256,"nLayers":2,"nHeads":4,"ffnDim":512,"vocabSize":600,"contextLength":128}');
  it.each([
    ['Q8_0', GGMLType.Q8_0, ggmlQuantizeRowQ8_0],
    ['Q4_0', GGMLType.Q4_0, ggmlQuantizeRowQ4_0],
  ] as const)('every %s tensor equals quantize_row_ref on the F32 source', async (target, type, reference) => {
    const src = join(tmp, `synth-f32.gguf`);
    await synthesizeModel(src, { shape, type: 'F32', seed: 3 });
    const out = join(tmp, `synth-${target}.gguf`);
    await quantizeFile(src, out, { target, threads: 2 });
    const inH = readGGUFHeader(src);
    const outH = readGGUFHeader(out);
    const inBytes = readFileSync(src);
    const outBytes = readFileSync(out);
    let checked = 0;
    for (const t of outH.tensors) {
      const s = inH.tensors.find((x) => x.name === t.name)!;
      const f32 = new Float32Array(inBytes.buffer.slice(inBytes.byteOffset + inH.dataOffset + s.offset, inBytes.byteOffset + inH.dataOffset + s.offset + s.byteSize));
      const got = outBytes.subarray(outH.dataOffset + t.offset, outH.dataOffset + t.offset + t.byteSize);
      if (t.type === type) {
        expect(firstDifference(got, reference(f32)), t.name).toBe(-1);
        checked++;
      } else if (t.name === 'output.weight') {
        expect(typeName(t.type)).toBe(target === 'Q8_0' ? 'Q8_0' : 'Q6_K');
      } else {
        expect(t.type).toBe(GGMLType.F32);
        expect(firstDifference(got, new Uint8Array(f32.buffer)), t.name).toBe(-1);
      }
    }
    expect(checked).toBe(target === 'Q8_0' ? 16 : 15);
  });
});

describe('llama.cpp runs the output', () => {
  const models: LlamaModel[] = [];
  afterAll(() => models.forEach((m) => m.dispose()));
  const argmax = (p: ArrayLike<number>): number => {
    let b = 0;
    for (let i = 1; i < p.length; i++) if (p[i] > p[b]) b = i;
    return b;
  };

  it('TinyLLama-v0 → Q4_K_M: teacher-forced top-1 of llama.cpp and Legato agree on ≥ 90% of a story', async () => {
    const { path: out } = await quantizedPlainQ4KM();
    const m = await loadModel(out);
    models.push(m);
    const ids = m.tokenize(
      'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her dog. ' +
        'One day, she saw a big red ball under a tree. She ran to get it, but the ball rolled away.',
    );
    expect(ids.length).toBeGreaterThan(40);
    const ours: number[] = [];
    const ctx = m.createContext({ contextSize: 128 });
    await ctx.evaluate(ids, { onLogits: (_pos, l) => ours.push(argmax(l)) });
    ctx.dispose();
    const theirs = (await llamaCppNextTokenProbs(out, ids)).map(argmax);
    expect(theirs).toHaveLength(ids.length);
    const agree = ours.filter((t, i) => t === theirs[i]).length;
    expect(agree / ids.length).toBeGreaterThanOrEqual(0.9);
  });
});

describe('errors', () => {
  it('names an unknown target and lists the supported ones', async () => {
    await expect(quantizeFile(modelPath('stories260K.gguf'), join(tmp, 'x.gguf'), { target: 'Q3_K_M' })).rejects.toThrow(
      /unknown quantization type "Q3_K_M".*Q4_K_M/,
    );
  });

  it('refuses rows that no type of the target fits, as llama.cpp does', async () => {
    // stories260K's ffn_down rows are 172 long: no 32-element block fits.
    const p = quantizeFile(modelPath('stories260K.gguf'), join(tmp, 'y.gguf'), { target: 'Q8_0', threads: 1 });
    await expect(p).rejects.toBeInstanceOf(QuantizeError);
    await expect(quantizeFile(modelPath('stories260K.gguf'), join(tmp, 'y.gguf'), { target: 'Q8_0', threads: 1 })).rejects.toThrow(/ffn_down.*172/);
  });
});
