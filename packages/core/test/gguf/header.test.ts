import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GGMLType } from '@legato/quant';
import { GGUFError, readGGUFHeader, loadGGUF, f32View } from '../../src/gguf/index.js';
import { modelPath } from '../../../../testing/models.js';

const tmp = mkdtempSync(join(tmpdir(), 'legato-gguf-'));
function withBytes(name: string, bytes: Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}
function expectGGUFError(fn: () => unknown, code: string, offset?: number): GGUFError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GGUFError);
    const g = e as GGUFError;
    expect(g.code).toBe(code);
    if (offset !== undefined) expect(g.offset).toBe(offset);
    expect(g.message).toContain(g.file);
    return g;
  }
  throw new Error(`expected GGUFError ${code}`);
}

describe('GGUF header', () => {
  it('reads a v3 file: metadata, tensor infos and the aligned data offset', () => {
    const h = readGGUFHeader(modelPath('stories260K.gguf'));
    expect(h.version).toBe(3);
    expect(h.metadata['general.architecture']).toBe('llama');
    expect(h.metadata['llama.embedding_length']).toBe(64);
    expect(h.metadata['llama.block_count']).toBe(5);
    expect((h.metadata['tokenizer.ggml.tokens'] as string[]).length).toBe(512);
    expect(h.tensors).toHaveLength(48);
    const emb = h.tensors.find((t) => t.name === 'token_embd.weight')!;
    expect(emb.shape).toEqual([64, 512]);
    expect(emb.type).toBe(GGMLType.F32);
    expect(h.dataOffset % h.alignment).toBe(0);
    // All tensors F32: the data section holds exactly the 292,800 parameters.
    expect(h.tensors.reduce((a, t) => a + t.nElements, 0)).toBe(292_800);
    expect(h.dataOffset + h.dataSize).toBeLessThanOrEqual(h.fileSize);
  });

  it('reads GGUF v1 (u32 counts) with the same tensors as v3', async () => {
    const v1 = readGGUFHeader(modelPath('legacy/tinyllamas-stories-260k-f32.gguf'));
    const v3 = readGGUFHeader(modelPath('stories260K.gguf'));
    expect(v1.version).toBe(1);
    const byName = (h: typeof v1) => h.tensors.map((t) => `${t.name}:${t.shape.join('x')}`).sort();
    expect(byName(v1)).toEqual(byName(v3));
    const a = await loadGGUF(v1.file);
    const b = await loadGGUF(v3.file);
    expect(Buffer.from(a.tensor('blk.2.ffn_down.weight').data).equals(Buffer.from(b.tensor('blk.2.ffn_down.weight').data))).toBe(true);
  });

  it('rejects the non-conforming v2 Q8_0 file: ffn_down row of 172 is not a multiple of 32', () => {
    const e = expectGGUFError(() => readGGUFHeader(modelPath('legacy/tinyllamas-stories-260k-q8_0.gguf')), 'BAD_ROW_SIZE');
    expect(e.message).toMatch(/ffn_down/);
    expect(e.message).toMatch(/172/);
    expect(e.offset).toBeGreaterThan(0);
  });

  it('rejects bad magic, unsupported versions and truncated headers with offsets', () => {
    const good = readFileSync(modelPath('stories260K.gguf'));
    const bad = Buffer.from(good);
    bad.write('GGML', 0, 'latin1');
    expectGGUFError(() => readGGUFHeader(withBytes('magic.gguf', bad)), 'BAD_MAGIC', 0);
    const v9 = Buffer.from(good);
    v9.writeUInt32LE(9, 4);
    expectGGUFError(() => readGGUFHeader(withBytes('v9.gguf', v9)), 'UNSUPPORTED_VERSION', 4);
    const cut = good.subarray(0, 5000);
    const e = expectGGUFError(() => readGGUFHeader(withBytes('cut.gguf', cut)), 'TRUNCATED');
    expect(e.offset).toBeLessThanOrEqual(5000);
    expectGGUFError(() => readGGUFHeader(withBytes('empty.gguf', new Uint8Array(0))), 'TRUNCATED', 0);
  });

  it('rejects a file whose tensor data is cut short, naming the tensor', () => {
    const good = readFileSync(modelPath('stories260K.gguf'));
    const e = expectGGUFError(() => readGGUFHeader(withBytes('short.gguf', good.subarray(0, good.length - 100))), 'TENSOR_OUT_OF_BOUNDS');
    expect(e.message).toMatch(/tensor \S+/);
  });

  it('refuses absurd counts without allocating for them', () => {
    const good = readFileSync(modelPath('stories260K.gguf'));
    const many = Buffer.from(good);
    many.writeBigUInt64LE(1n << 40n, 8); // tensor count
    expectGGUFError(() => readGGUFHeader(withBytes('many.gguf', many)), 'COUNT_TOO_LARGE', 8);
    const kv = Buffer.from(good);
    kv.writeBigUInt64LE(1n << 50n, 16);
    expectGGUFError(() => readGGUFHeader(withBytes('kv.gguf', kv)), 'COUNT_TOO_LARGE', 16);
    // First key's string length claims 2^60 bytes.
    const str = Buffer.from(good);
    str.writeBigUInt64LE(1n << 60n, 24);
    expectGGUFError(() => readGGUFHeader(withBytes('str.gguf', str)), 'COUNT_TOO_LARGE', 24);
  });

  it('rejects an unknown tensor type naming the tensor', () => {
    const good = readFileSync(modelPath('stories260K.gguf'));
    const h = readGGUFHeader(modelPath('stories260K.gguf'));
    const t = h.tensors[3];
    // type u32 sits after name (u64 len + bytes), n_dims (u32) and dims (u64 each)
    const typeAt = t.infoOffset + 8 + Buffer.byteLength(t.name) + 4 + 8 * t.shape.length;
    const bad = Buffer.from(good);
    expect(bad.readUInt32LE(typeAt)).toBe(GGMLType.F32);
    bad.writeUInt32LE(77, typeAt);
    const e = expectGGUFError(() => readGGUFHeader(withBytes('type.gguf', bad)), 'UNKNOWN_TENSOR_TYPE', t.infoOffset);
    expect(e.message).toContain(t.name);
    expect(e.message).toContain('77');
  });

  it('honours general.alignment and loads tensor views into the arena', async () => {
    const f = await loadGGUF(modelPath('stories260K.gguf'), { chunkBytes: 4096, onProgress: () => undefined });
    const norm = f32View(f.tensor('output_norm.weight'));
    expect(norm.length).toBe(64);
    // An RMSNorm weight of a trained model: positive, O(1).
    expect(Math.min(...norm)).toBeGreaterThan(0);
    expect(f.tensor('token_embd.weight').data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(f.tensor('token_embd.weight').data.byteOffset % 32).toBe(0);
    expect(() => f.tensor('nope.weight')).toThrow(GGUFError);
  });

  it('reports load progress monotonically up to the data size', async () => {
    const seen: number[] = [];
    const f = await loadGGUF(modelPath('TinyStories-656K-Q8_0.gguf'), { chunkBytes: 65536, onProgress: (p) => seen.push(p.loadedBytes) });
    expect(seen.length).toBeGreaterThan(5);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
    expect(seen[seen.length - 1]).toBe(f.header.dataSize);
  });

  it('honours an abort signal during load', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(loadGGUF(modelPath('stories260K.gguf'), { signal: ac.signal })).rejects.toThrow(/abort/i);
  });
});
