/**
 * One test per kind of structural damage, so a regression names the case the fuzzer would only
 * find at random: each corrupts one field of a real model and expects the GGUFError code for it,
 * within 2 s, with a message that carries no more than a few dozen characters of file text.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Arena } from '@legato/quant';
import { encodeGGUFHeader, GGUFError, GGUFValueType, gv, loadGGUF, readGGUFHeader, type TypedValue } from '../../src/gguf/index.js';
import { modelPath } from '../../../../testing/models.js';
import { scanLayout, type GGUFLayout } from './mutations.js';

const V3 = new Uint8Array(readFileSync(modelPath('stories260K.gguf')));
const V1 = new Uint8Array(readFileSync(modelPath('legacy/tinyllamas-stories-260k-f32.gguf')));
const L3 = scanLayout(V3);
const L1 = scanLayout(V1);

/** A copy of `src` with `edit` applied through a DataView. */
function edited(src: Uint8Array, edit: (dv: DataView, b: Uint8Array) => void): Uint8Array {
  const b = new Uint8Array(src);
  edit(new DataView(b.buffer), b);
  return b;
}

async function outcome(bytes: Uint8Array): Promise<GGUFError | 'loaded'> {
  const t0 = performance.now();
  try {
    await loadGGUF(bytes);
    return 'loaded';
  } catch (e) {
    if (!(e instanceof GGUFError)) throw e;
    return e;
  } finally {
    expect(performance.now() - t0).toBeLessThan(2000);
  }
}

/** Loads `bytes` (header read and data load) and expects a GGUFError with `code`. */
async function expectCode(bytes: Uint8Array, code: string | string[]): Promise<GGUFError> {
  const e = await outcome(bytes);
  expect(e, `expected ${String(code)}, but the file loaded`).toBeInstanceOf(GGUFError);
  const g = e as GGUFError;
  expect([code].flat()).toContain(g.code);
  expect(g.message.length).toBeLessThan(300);
  // The header reader alone refuses it the same way.
  let sync: unknown;
  try {
    readGGUFHeader(bytes);
  } catch (x) {
    sync = x;
  }
  expect(sync).toBeInstanceOf(GGUFError);
  expect((sync as GGUFError).code).toBe(g.code);
  return g;
}

const u64 = (l: GGUFLayout, pick: (l: GGUFLayout) => number, v: bigint) => edited(V3, (dv) => dv.setBigUint64(pick(l), v, true));
const kvIndex = (key: string): number => Object.keys(readGGUFHeader(V3).metadata).indexOf(key);
const tokensKV = L3.kvs[kvIndex('tokenizer.ggml.tokens')];
const scoresKV = L3.kvs[kvIndex('tokenizer.ggml.scores')];

/**
 * A tiny GGUF v3 with one metadata entry and no tensors, encoded here rather than by the writer
 * (which refuses the bad alignments these tests need).
 */
function tiny(key: string, tv: TypedValue, more: [string, TypedValue][] = []): Uint8Array {
  const rest = more.length ? encodeGGUFHeader({ metadata: more, tensors: [] }).header.subarray(24) : new Uint8Array(0);
  const k = Buffer.from(key);
  const value = Buffer.alloc(tv.type === GGUFValueType.STRING ? 8 + Buffer.byteLength(String(tv.value)) : 8);
  if (tv.type === GGUFValueType.STRING) { value.writeBigUInt64LE(BigInt(Buffer.byteLength(String(tv.value)))); value.write(String(tv.value), 8); }
  else if (tv.type === GGUFValueType.FLOAT32) value.writeFloatLE(tv.value as number);
  else if (tv.type === GGUFValueType.UINT64) value.writeBigUInt64LE(BigInt(tv.value as number | bigint));
  else value.writeUInt32LE(tv.value as number);
  const size = tv.type === GGUFValueType.STRING ? value.length : tv.type === GGUFValueType.UINT64 ? 8 : 4;
  const head = Buffer.alloc(24 + 8);
  head.writeUInt32LE(0x46554747, 0); head.writeUInt32LE(3, 4); head.writeBigUInt64LE(0n, 8); head.writeBigUInt64LE(BigInt(1 + more.length), 16);
  head.writeBigUInt64LE(BigInt(k.length), 24);
  const type = Buffer.alloc(4);
  type.writeUInt32LE(tv.type);
  return new Uint8Array(Buffer.concat([head, k, type, value.subarray(0, size), rest]));
}

describe('malformed GGUF: header', () => {
  it('bad magic and unsupported versions', async () => {
    await expectCode(edited(V3, (dv) => dv.setUint32(0, 0x4c4d4747, true)), 'BAD_MAGIC');
    for (const v of [0, 4, 0xffffffff]) await expectCode(edited(V3, (dv) => dv.setUint32(4, v, true)), 'UNSUPPORTED_VERSION');
  });

  it('tensor and metadata counts up to 2^64-1 are refused before anything is allocated for them', async () => {
    for (const v of [2n ** 63n, 2n ** 64n - 1n, 2n ** 40n, 2n ** 32n, 100_000n]) {
      await expectCode(u64(L3, (l) => l.tensorCount.at, v), 'COUNT_TOO_LARGE');
      await expectCode(u64(L3, (l) => l.kvCount.at, v), 'COUNT_TOO_LARGE');
    }
    // GGUF v1 counts are u32.
    await expectCode(edited(V1, (dv) => dv.setUint32(L1.tensorCount.at, 0xffffffff, true)), 'COUNT_TOO_LARGE');
    await expectCode(edited(V1, (dv) => dv.setUint32(L1.kvCount.at, 0xffffffff, true)), 'COUNT_TOO_LARGE');
  });

  it('a file cut at every byte of its header, metadata, tensor infos and padding', async () => {
    // Exhaustive over the ~14 kB before the data; every prefix is refused, none crashes.
    const seen = new Set<string>();
    for (let n = 0; n < L3.dataOffset; n++) {
      let e: unknown;
      try {
        readGGUFHeader(V3.subarray(0, n));
      } catch (x) {
        e = x;
      }
      if (!(e instanceof GGUFError)) throw new Error(`a file cut at ${n} bytes gave ${String(e)}`);
      seen.add(e.code);
    }
    expect([...seen].sort()).toEqual(['COUNT_TOO_LARGE', 'TENSOR_OUT_OF_BOUNDS', 'TRUNCATED']);
  });

  it('a file cut inside the tensor data names the tensor that runs past the end', async () => {
    const e = await expectCode(V3.subarray(0, L3.size - 100), 'TENSOR_OUT_OF_BOUNDS');
    expect(e.message).toMatch(/tensor \S+/);
  });
});

describe('malformed GGUF: metadata', () => {
  it('string lengths of 2^63 (a key, a string value, a tensor name)', async () => {
    await expectCode(u64(L3, (l) => l.kvs[0].keyLen.at, 2n ** 63n), 'COUNT_TOO_LARGE');
    await expectCode(u64(L3, () => tokensKV.strings[7].at, 2n ** 63n), 'COUNT_TOO_LARGE');
    await expectCode(u64(L3, (l) => l.tensors[5].nameLen.at, 2n ** 63n), 'COUNT_TOO_LARGE');
    await expectCode(u64(L3, (l) => l.kvs[0].keyLen.at, 2n ** 32n + 5n), 'COUNT_TOO_LARGE');
  });

  it('arrays claiming 2^40 elements (strings and f32s) and v1 arrays claiming 2^32-1', async () => {
    await expectCode(u64(L3, () => tokensKV.arrays[0].length.at, 2n ** 40n), 'COUNT_TOO_LARGE');
    await expectCode(u64(L3, () => scoresKV.arrays[0].length.at, 2n ** 40n), 'COUNT_TOO_LARGE');
    await expectCode(u64(L3, () => scoresKV.arrays[0].length.at, 2n ** 64n - 1n), 'COUNT_TOO_LARGE');
    const v1Arrays = L1.kvs.flatMap((k) => k.arrays);
    await expectCode(edited(V1, (dv) => dv.setUint32(v1Arrays[0].length.at, 0xffffffff, true)), 'COUNT_TOO_LARGE');
  });

  it('value type ids and array element type ids out of range', async () => {
    for (const t of [13, 255, 0xffffffff]) {
      await expectCode(edited(V3, (dv) => dv.setUint32(L3.kvs[1].type.at, t, true)), 'BAD_VALUE_TYPE');
      await expectCode(edited(V3, (dv) => dv.setUint32(tokensKV.arrays[0].itemType.at, t, true)), 'BAD_VALUE_TYPE');
    }
  });

  it('an empty array with an unknown element type', async () => {
    const b = new Uint8Array(encodeGGUFHeader({ metadata: [['x', gv.arr(GGUFValueType.UINT8, [])]], tensors: [] }).header);
    const itemTypeAt = 24 + 8 + 1 + 4;
    new DataView(b.buffer).setUint32(itemTypeAt, 99, true);
    await expectCode(b, 'BAD_VALUE_TYPE');
  });

  it('arrays nested deeper than any real file', async () => {
    // key "x", type ARRAY, then 64 levels of [ARRAY, length 1], ending in an empty u8 array.
    const parts: number[] = [];
    const u32 = (v: number) => parts.push(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24);
    const u64n = (v: number) => { u32(v); u32(0); };
    u32(0x46554747); u32(3); u64n(0); u64n(1);
    u64n(1); parts.push(0x78); u32(GGUFValueType.ARRAY);
    for (let i = 0; i < 64; i++) { u32(GGUFValueType.ARRAY); u64n(1); }
    u32(GGUFValueType.UINT8); u64n(0);
    await expectCode(new Uint8Array(parts), 'TOO_DEEP');
  });

  it('a duplicate metadata key', async () => {
    const keys = L3.kvs.map((k) => ({ at: k.keyAt, n: k.keyBytes }));
    const [a, b] = keys.filter((k, _i, all) => all.some((o) => o !== k && o.n === k.n));
    const e = await expectCode(edited(V3, (_dv, bytes) => bytes.copyWithin(b.at, a.at, a.at + a.n)), 'DUPLICATE_KEY');
    expect(e.message).toMatch(/appears twice/);
  });

  it('general.alignment that is not an integer power of two up to 2^30', async () => {
    for (const bad of [gv.u32(0), gv.u32(3), gv.u32(2 ** 31), gv.f32(0.5), gv.f32(32), gv.str('32'), gv.u64(2n ** 40n), gv.u64(2n ** 60n)]) {
      await expectCode(tiny('general.alignment', bad), 'BAD_ALIGNMENT');
    }
    expect(readGGUFHeader(tiny('general.alignment', gv.u32(64))).alignment).toBe(64);
  });

  it('a key named __proto__ stays a plain entry', () => {
    const h = readGGUFHeader(tiny('__proto__', gv.str('polluted'), [['a', gv.u32(1)]]));
    expect(Object.getPrototypeOf(h.metadata)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(h.metadata, '__proto__')?.value).toBe('polluted');
  });
});

describe('malformed GGUF: tensor infos', () => {
  const t5 = L3.tensors[5];
  it('dimension counts outside 1..4 and dimensions of 0 or past 2^53', async () => {
    for (const n of [0, 5, 0xffffffff]) await expectCode(edited(V3, (dv) => dv.setUint32(t5.nDims.at, n, true)), 'BAD_DIMS');
    for (const d of [0n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n]) await expectCode(u64(L3, () => t5.dims[0].at, d), 'BAD_DIMS');
  });

  it('dimensions whose product overflows', async () => {
    const t = L3.tensors.find((x) => x.dims.length === 2)!;
    // 2^40 x 2^40: each dimension is plausible, the product is 2^80 elements.
    await expectCode(edited(V3, (dv) => t.dims.forEach((f) => dv.setBigUint64(f.at, 2n ** 40n, true))), 'BAD_DIMS');
    // 2^26 x 2^26 = 2^52 elements fits a double but not the file.
    await expectCode(edited(V3, (dv) => t.dims.forEach((f) => dv.setBigUint64(f.at, 2n ** 26n, true))), 'TENSOR_OUT_OF_BOUNDS');
  });

  it('tensor type ids out of range or removed from ggml', async () => {
    for (const t of [4, 5, 39, 2 ** 31, 0xffffffff]) {
      const e = await expectCode(edited(V3, (dv) => dv.setUint32(t5.type.at, t, true)), 'UNKNOWN_TENSOR_TYPE');
      expect(e.message).toContain(String(t));
    }
  });

  it('duplicate tensor names', async () => {
    const same = L3.tensors.filter((t) => t.nameBytes === t5.nameBytes && t !== t5);
    const e = await expectCode(edited(V3, (_dv, b) => b.copyWithin(same[0].nameAt, t5.nameAt, t5.nameAt + t5.nameBytes)), 'DUPLICATE_TENSOR');
    expect(e.message).toMatch(/appears twice/);
  });

  it('data offsets that are misaligned, overlapping, or past the end (up to 2^64-1)', async () => {
    const dv3 = new DataView(V3.buffer);
    const off = (t: (typeof L3.tensors)[number]) => dv3.getBigUint64(t.offset.at, true);
    await expectCode(u64(L3, () => t5.offset.at, off(t5) + 4n), 'MISALIGNED');
    await expectCode(u64(L3, () => t5.offset.at, off(t5) + 1n), 'MISALIGNED');
    await expectCode(u64(L3, () => t5.offset.at, off(L3.tensors[6])), 'OVERLAP');
    await expectCode(u64(L3, () => L3.tensors[6].offset.at, off(t5) + 32n), 'OVERLAP');
    for (const v of [2n ** 63n, 2n ** 64n - 32n, BigInt(L3.size)]) await expectCode(u64(L3, () => t5.offset.at, v), 'TENSOR_OUT_OF_BOUNDS');
  });

  it('a megabyte-long tensor name is cut in the message', async () => {
    const name = 'n'.repeat(1 << 20);
    const tensor = { name, type: 0, shape: [1], data: new Uint8Array(4) };
    const enc = encodeGGUFHeader({ metadata: [], tensors: [tensor, tensor] }).header;
    const bytes = new Uint8Array(enc.length + 64);
    bytes.set(enc);
    const e = await expectCode(bytes, 'DUPLICATE_TENSOR');
    expect(e.message.length).toBeLessThan(250);
  });
});

describe('loading from bytes into a caller arena', () => {
  it('a failed load leaves nothing allocated in the caller arena', async () => {
    const arena = new Arena({ initialBytes: 4 << 20 });
    const before = arena.liveBytes;
    // Aborted once the data region is allocated: the loader must hand it back.
    const ac = new AbortController();
    ac.abort();
    await expect(loadGGUF(V3, { arena, signal: ac.signal })).rejects.toThrow(/abort/i);
    expect(arena.liveBytes).toBe(before);
    const f = await loadGGUF(V3, { arena });
    expect(arena.liveBytes - before).toBeLessThanOrEqual(V3.length + 64);
    arena.free(f.dataAddress);
    expect(arena.liveBytes).toBe(before);
  });
});
