import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GGMLType } from '@legato/quant';
import { encodeGGUFHeader, GGUFValueType, gv, loadGGUF, readGGUFHeader, writeGGUF } from '../../src/gguf/index.js';
import { modelPath } from '../../../../testing/models.js';

const tmp = mkdtempSync(join(tmpdir(), 'legato-gguf-w-'));

describe('GGUF writer', () => {
  it('rewrites a real model byte-for-byte in metadata and tensor data', async () => {
    const src = await loadGGUF(modelPath('TinyStories-656K-Q8_0.gguf'));
    const out = join(tmp, 'copy.gguf');
    await writeGGUF(out, {
      metadata: src.header.typedMetadata,
      tensors: src.header.tensors.map((t) => ({ name: t.name, type: t.type, shape: t.shape, data: src.tensor(t.name).data })),
    });
    // Same layout as llama.cpp's writer: the whole file is identical.
    expect(readFileSync(out).equals(readFileSync(modelPath('TinyStories-656K-Q8_0.gguf')))).toBe(true);
  });

  it('keeps value types and honours a custom alignment', async () => {
    const out = join(tmp, 'typed.gguf');
    const data = new Uint8Array(4 * 3 * 2);
    new Float32Array(data.buffer).set([1, 2, 3, 4, 5, 6]);
    await writeGGUF(out, {
      metadata: [
        ['general.architecture', gv.str('llama')],
        ['general.alignment', gv.u32(64)],
        ['a.u32', gv.u32(7)],
        ['a.i32', gv.i32(-7)],
        ['a.f32', gv.f32(0.5)],
        ['a.bool', gv.bool(true)],
        ['a.u64', gv.u64(1n << 40n)],
        ['a.strs', gv.arr(GGUFValueType.STRING, ['x', 'héllo', ''])],
        ['a.ints', gv.arr(GGUFValueType.INT32, [1, -2, 3])],
      ],
      tensors: [
        { name: 'one', type: GGMLType.F32, shape: [3, 2], data },
        { name: 'two', type: GGMLType.F32, shape: [1], data: data.subarray(0, 4) },
      ],
    });
    const h = readGGUFHeader(out);
    expect(h.alignment).toBe(64);
    expect(h.dataOffset % 64).toBe(0);
    expect(h.tensors[1].offset).toBe(64);
    expect(h.metadata['a.i32']).toBe(-7);
    expect(h.metadata['a.u64']).toBe(2 ** 40);
    expect(h.metadata['a.strs']).toEqual(['x', 'héllo', '']);
    expect(h.typedMetadata.get('a.u32')!.type).toBe(GGUFValueType.UINT32);
    expect(h.typedMetadata.get('a.ints')!.itemType).toBe(GGUFValueType.INT32);
    const f = await loadGGUF(out);
    expect(Array.from(new Float32Array(f.tensor('one').data.slice().buffer))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('refuses tensor data that does not match its shape', async () => {
    await expect(
      writeGGUF(join(tmp, 'bad.gguf'), { metadata: [], tensors: [{ name: 'x', type: GGMLType.Q8_0, shape: [32, 2], data: new Uint8Array(34) }] }),
    ).rejects.toThrow(/68/);
  });
});

describe('GGUF writer alignment', () => {
  it('refuses an alignment its padding loop could never reach (0, 3, 2^40)', () => {
    for (const a of [0, 3, 2 ** 40]) {
      expect(() => encodeGGUFHeader({ metadata: [['general.alignment', gv.u64(a)]], tensors: [] })).toThrow(RangeError);
    }
  });
});
