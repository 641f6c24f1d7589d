import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GGMLType } from '@legato/quant';
import { GGUFError, loadModel, UnsupportedArchitectureError } from '../../src/index.js';
import { GGUFValueType, loadGGUF, readGGUFHeader, writeGGUF, type TypedValue } from '../../src/gguf/index.js';
import { modelPath } from '../../../../testing/models.js';

const tmp = mkdtempSync(join(tmpdir(), 'legato-model-err-'));

/** Rewrites stories260K with edited metadata / tensors, to make each kind of bad model. */
async function variant(name: string, edit: (meta: Map<string, TypedValue>, tensors: { name: string; type: GGMLType; shape: number[]; data: Uint8Array }[]) => void): Promise<string> {
  const src = await loadGGUF(modelPath('stories260K.gguf'));
  const meta = new Map(src.header.typedMetadata);
  const tensors = src.header.tensors.map((t) => ({ name: t.name, type: t.type, shape: [...t.shape], data: src.tensor(t.name).data }));
  edit(meta, tensors);
  const out = join(tmp, name);
  await writeGGUF(out, { metadata: meta, tensors });
  return out;
}

describe('model loading errors', () => {
  it('an unsupported architecture names it and lists the supported ones', async () => {
    const p = await variant('arch.gguf', (m) => m.set('general.architecture', { type: GGUFValueType.STRING, value: 'mamba' }));
    const e = await loadModel(p).catch((x) => x);
    expect(e).toBeInstanceOf(UnsupportedArchitectureError);
    expect(e.message).toMatch(/"mamba" is not supported \(supported: llama, qwen2, qwen3, gemma2, gemma3, phi3\)/);
    expect(e.message).toContain(p);
  });

  it('a missing required metadata key is named', async () => {
    const p = await variant('key.gguf', (m) => m.delete('llama.embedding_length'));
    const e = await loadModel(p).catch((x) => x);
    expect(e).toBeInstanceOf(GGUFError);
    expect(e.code).toBe('MISSING_KEY');
    expect(e.message).toMatch(/llama\.embedding_length/);
  });

  it('a missing required tensor is named', async () => {
    const p = await variant('tensor.gguf', (_m, t) => t.splice(t.findIndex((x) => x.name === 'blk.3.ffn_up.weight'), 1));
    const e = await loadModel(p).catch((x) => x);
    expect(e).toBeInstanceOf(GGUFError);
    expect(e.code).toBe('MISSING_TENSOR');
    expect(e.message).toMatch(/blk\.3\.ffn_up\.weight/);
  });

  it('a tensor whose shape contradicts the metadata is named with both shapes', async () => {
    const p = await variant('shape.gguf', (m) => m.set('llama.feed_forward_length', { type: GGUFValueType.UINT32, value: 171 }));
    const e = await loadModel(p).catch((x) => x);
    expect(e).toBeInstanceOf(GGUFError);
    expect(e.message).toMatch(/blk\.0\.ffn_gate\.weight has shape \[64, 172\], expected \[64, 171\]/);
  });

  it('a known but unsupported weight type is refused with the supported list', async () => {
    const p = await variant('type.gguf', (_m, t) => {
      const w = t.find((x) => x.name === 'blk.0.attn_q.weight')!;
      w.type = GGMLType.Q8_1; // 64 columns = 2 blocks of 36 bytes per row
      w.data = new Uint8Array(2 * 36 * 64);
    });
    expect(readGGUFHeader(p).tensors.find((x) => x.name === 'blk.0.attn_q.weight')!.type).toBe(GGMLType.Q8_1);
    const e = await loadModel(p).catch((x) => x);
    expect(e).toBeInstanceOf(GGUFError);
    expect(e.code).toBe('UNSUPPORTED_TENSOR_TYPE');
    expect(e.message).toMatch(/Q8_1.*supported: F32, F16/);
  });
});
