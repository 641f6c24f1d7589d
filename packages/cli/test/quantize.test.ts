/** `legato quantize` (and `legato synth` with the new types) as a user runs them. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GGMLType, rowBytes, typeName } from '@legato/quant';
import { gv, readGGUFHeader, writeGGUF } from '@legato/core/gguf';
import { modelPath } from '../../../testing/models.js';
import { legato } from './run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'legato-cli-quantize-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function expectUserError(r: { code: number; stderr: string }, pattern: RegExp, code: 1 | 2 = 1): void {
  expect(r.code).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^legato quantize: /);
  expect(lines[0]).toMatch(pattern);
}

function tensorTypes(path: string): Record<string, string> {
  return Object.fromEntries(readGGUFHeader(path).tensors.map((t) => [t.name, typeName(t.type)]));
}

describe('legato quantize', () => {
  it('writes the same file as llama-quantize --token-embedding-type q4_0 --output-tensor-type q4_0 … Q4_K_M', () => {
    const out = join(tmp, 'q4km.gguf');
    const r = legato(['quantize', modelPath('TinyLLama-v0-Q4_0.gguf'), out, 'Q4_K_M', '--token-embedding-type', 'q4_0', '--output-tensor-type', 'Q4_0']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/wrote .*q4km\.gguf: Q4_K_M, 75 tensors \(.*4 Q4_K.*\).* M params\/s/);
    expect(Buffer.compare(readFileSync(out), readFileSync(modelPath('TinyLLama-v0-Q4_K_M.gguf')))).toBe(0);
  });

  it('gives the same bytes on 1 thread as on the default pool', () => {
    const one = join(tmp, 'ts-q4_0-1.gguf');
    const many = join(tmp, 'ts-q4_0-n.gguf');
    expect(legato(['quantize', modelPath('TinyStories-656K-F32.gguf'), one, 'q4_0', '--threads', '1']).code).toBe(0);
    expect(legato(['quantize', modelPath('TinyStories-656K-F32.gguf'), many, 'q4_0']).code).toBe(0);
    expect(Buffer.compare(readFileSync(one), readFileSync(many))).toBe(0);
    expect(Buffer.compare(readFileSync(one), readFileSync(modelPath('TinyStories-656K-Q4_0.gguf')))).toBe(0);
  });

  it('rejects bad input with one line and exit 1 (bad data) or 2 (bad call)', async () => {
    const out = join(tmp, 'never.gguf');
    expectUserError(legato(['quantize', modelPath('stories260K.gguf'), out, 'Q3_K_M']), /unknown quantization type "Q3_K_M" \(supported: .*Q4_K_M/, 2);
    expectUserError(legato(['quantize', join(tmp, 'missing.gguf'), out, 'Q8_0']), /not found/);
    expectUserError(legato(['quantize', modelPath('stories260K.gguf'), out]), /missing quantization type/, 2);
    expectUserError(legato(['quantize', modelPath('stories260K.gguf'), out, 'Q8_0', '--threads', '0']), /--threads must be a positive integer, got 0/, 2);
    expectUserError(legato(['quantize', modelPath('stories260K.gguf'), out, 'Q4_0', '--output-tensor-type', 'iq2_xxs']), /--output-tensor-type must be one of/, 2);
    expectUserError(legato(['quantize', modelPath('stories260K.gguf'), modelPath('stories260K.gguf'), 'Q8_0']), /different file/, 2);
    // stories260K's ffn_down rows (172) fit no 32-element block; llama-quantize refuses too.
    expectUserError(legato(['quantize', modelPath('stories260K.gguf'), out, 'Q8_0']), /ffn_down.*172/);
    // A tensor type Legato cannot dequantize.
    const iq = join(tmp, 'iq4xs.gguf');
    await writeGGUF(iq, {
      metadata: [['general.architecture', gv.str('llama')]],
      tensors: [{ name: 'blk.0.attn_q.weight', type: GGMLType.IQ4_XS, shape: [256, 2], data: new Uint8Array(rowBytes(GGMLType.IQ4_XS, 256) * 2) }],
    });
    expectUserError(legato(['quantize', iq, out, 'Q8_0']), /blk\.0\.attn_q\.weight is IQ4_XS, which Legato cannot dequantize/);
  });
});

describe('legato synth with the quantizer types', () => {
  it('--type Q4_K_M applies the mix rules and llama.cpp file type', () => {
    const out = join(tmp, 'synth-q4km.gguf');
    const shape = '{"dim":256,"nLayers":8,"nHeads":4,"ffnDim":512,"vocabSize":1000,"contextLength":128}';
    const r = legato(['synth', '--shape', shape, '--type', 'Q4_K_M', '-o', out]);
    expect(r.code).toBe(0);
    const types = tensorTypes(out);
    expect(types['output.weight']).toBe('Q6_K');
    expect(types['token_embd.weight']).toBe('Q4_K');
    for (let i = 0; i < 8; i++) {
      const more = [0, 3, 6, 7].includes(i) ? 'Q6_K' : 'Q4_K';
      expect([types[`blk.${i}.attn_v.weight`], types[`blk.${i}.ffn_down.weight`], types[`blk.${i}.ffn_up.weight`]]).toEqual([more, more, 'Q4_K']);
    }
    expect(readGGUFHeader(out).metadata['general.file_type']).toBe(15);
  });
});
