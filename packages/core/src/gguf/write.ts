/**
 * Writes GGUF v3 files that llama.cpp loads. Metadata values carry their GGUF type explicitly,
 * because llama.cpp checks key types strictly (a u32 written as i32 is refused). Written by hand,
 * sharing value types with the reader, so a file read and rewritten keeps every type.
 */
import { open } from 'node:fs/promises';
import { rowBytes, type GGMLType } from '@legato/quant';
import { DEFAULT_ALIGNMENT, GGUF_MAGIC } from './header.js';
import { GGUFValueType, type TypedValue } from './value-types.js';

export interface GGUFWriteTensor {
  name: string;
  type: GGMLType;
  /** ne0 first. */
  shape: readonly number[];
  /** The bytes, or a producer called when the tensor is written (so a big model is never all in memory). */
  data: Uint8Array | (() => Uint8Array | Promise<Uint8Array>);
}

export interface GGUFWriteInput {
  /** Insertion order is file order. `general.alignment` is honoured if present. */
  metadata: Map<string, TypedValue> | Iterable<[string, TypedValue]>;
  tensors: readonly GGUFWriteTensor[];
}

/** Helpers for typed metadata values. */
export const gv = {
  u32: (value: number): TypedValue => ({ type: GGUFValueType.UINT32, value }),
  i32: (value: number): TypedValue => ({ type: GGUFValueType.INT32, value }),
  f32: (value: number): TypedValue => ({ type: GGUFValueType.FLOAT32, value }),
  bool: (value: boolean): TypedValue => ({ type: GGUFValueType.BOOL, value }),
  str: (value: string): TypedValue => ({ type: GGUFValueType.STRING, value }),
  u64: (value: number | bigint): TypedValue => ({ type: GGUFValueType.UINT64, value }),
  arr: (itemType: GGUFValueType, value: readonly unknown[]): TypedValue => ({ type: GGUFValueType.ARRAY, itemType, value }),
};

class ByteSink {
  private chunks: Buffer[] = [];
  private cur = Buffer.alloc(1 << 16);
  private at = 0;
  length = 0;

  private room(n: number): void {
    if (this.at + n <= this.cur.length) return;
    this.chunks.push(this.cur.subarray(0, this.at));
    this.cur = Buffer.alloc(Math.max(1 << 16, n));
    this.at = 0;
  }
  u8(v: number): void { this.room(1); this.cur[this.at++] = v; this.length += 1; }
  i8(v: number): void { this.room(1); this.cur.writeInt8(v, this.at); this.at += 1; this.length += 1; }
  u16(v: number): void { this.room(2); this.cur.writeUInt16LE(v, this.at); this.at += 2; this.length += 2; }
  i16(v: number): void { this.room(2); this.cur.writeInt16LE(v, this.at); this.at += 2; this.length += 2; }
  u32(v: number): void { this.room(4); this.cur.writeUInt32LE(v, this.at); this.at += 4; this.length += 4; }
  i32(v: number): void { this.room(4); this.cur.writeInt32LE(v, this.at); this.at += 4; this.length += 4; }
  f32(v: number): void { this.room(4); this.cur.writeFloatLE(v, this.at); this.at += 4; this.length += 4; }
  f64(v: number): void { this.room(8); this.cur.writeDoubleLE(v, this.at); this.at += 8; this.length += 8; }
  u64(v: number | bigint): void { this.room(8); this.cur.writeBigUInt64LE(BigInt(v), this.at); this.at += 8; this.length += 8; }
  i64(v: number | bigint): void { this.room(8); this.cur.writeBigInt64LE(BigInt(v), this.at); this.at += 8; this.length += 8; }
  bytes(b: Uint8Array): void { this.room(b.length); this.cur.set(b, this.at); this.at += b.length; this.length += b.length; }
  string(s: string): void { const b = Buffer.from(s, 'utf8'); this.u64(b.length); this.bytes(b); }
  pad(alignment: number): void { while (this.length % alignment !== 0) this.u8(0); }
  finish(): Buffer { this.chunks.push(this.cur.subarray(0, this.at)); return Buffer.concat(this.chunks); }
}

function writeScalar(s: ByteSink, t: GGUFValueType, v: unknown, key: string): void {
  switch (t) {
    case GGUFValueType.UINT8: return s.u8(v as number);
    case GGUFValueType.INT8: return s.i8(v as number);
    case GGUFValueType.UINT16: return s.u16(v as number);
    case GGUFValueType.INT16: return s.i16(v as number);
    case GGUFValueType.UINT32: return s.u32(v as number);
    case GGUFValueType.INT32: return s.i32(v as number);
    case GGUFValueType.FLOAT32: return s.f32(v as number);
    case GGUFValueType.BOOL: return s.u8(v ? 1 : 0);
    case GGUFValueType.STRING: return s.string(String(v));
    case GGUFValueType.UINT64: return s.u64(v as number | bigint);
    case GGUFValueType.INT64: return s.i64(v as number | bigint);
    case GGUFValueType.FLOAT64: return s.f64(v as number);
    default: throw new TypeError(`metadata ${key}: cannot write value type ${t}`);
  }
}

function writeValue(s: ByteSink, tv: TypedValue, key: string): void {
  if (tv.type !== GGUFValueType.ARRAY) return writeScalar(s, tv.type, tv.value, key);
  if (tv.itemType === undefined) throw new TypeError(`metadata ${key}: array without an item type`);
  const items = tv.value as ArrayLike<unknown>;
  s.u32(tv.itemType);
  s.u64(items.length);
  if (tv.itemType === GGUFValueType.ARRAY) throw new TypeError(`metadata ${key}: nested arrays are not written`);
  for (let i = 0; i < items.length; i++) writeScalar(s, tv.itemType, items[i], key);
}

/** Serialises header, metadata and tensor infos; returns the bytes and each tensor's data offset. */
export function encodeGGUFHeader(input: GGUFWriteInput): { header: Buffer; offsets: number[]; alignment: number } {
  const meta = input.metadata instanceof Map ? input.metadata : new Map(input.metadata);
  const align = meta.get('general.alignment');
  const alignment = align ? Number(align.value) : DEFAULT_ALIGNMENT;
  // Padding loops to the alignment: 0 or 2^60 would never finish.
  if (!Number.isInteger(alignment) || alignment < 1 || alignment > 2 ** 30 || (alignment & (alignment - 1)) !== 0) {
    throw new RangeError(`general.alignment must be a power of two up to 2^30, got ${String(align?.value).slice(0, 40)}`);
  }
  const s = new ByteSink();
  s.u32(GGUF_MAGIC);
  s.u32(3);
  s.u64(input.tensors.length);
  s.u64(meta.size);
  for (const [key, tv] of meta) {
    s.string(key);
    s.u32(tv.type);
    writeValue(s, tv, key);
  }
  const offsets: number[] = [];
  let offset = 0;
  for (const t of input.tensors) {
    const expected = tensorBytes(t);
    if (typeof t.data !== 'function') checkLength(t, t.data);
    s.string(t.name);
    s.u32(t.shape.length);
    for (const d of t.shape) s.u64(d);
    s.u32(t.type);
    s.u64(offset);
    offsets.push(offset);
    offset = Math.ceil((offset + expected) / alignment) * alignment;
  }
  s.pad(alignment);
  return { header: s.finish(), offsets, alignment };
}

/** Writes a GGUF v3 file; tensor data is streamed, never concatenated in memory. */
export async function writeGGUF(path: string, input: GGUFWriteInput): Promise<void> {
  const { header, offsets, alignment } = encodeGGUFHeader(input);
  const fh = await open(path, 'w');
  try {
    await fh.write(header, 0, header.length, 0);
    let last = header.length;
    for (let i = 0; i < input.tensors.length; i++) {
      const t = input.tensors[i];
      const data = typeof t.data === 'function' ? await t.data() : t.data;
      checkLength(t, data);
      await fh.write(data, 0, data.length, header.length + offsets[i]);
      last = header.length + offsets[i] + data.length;
    }
    // Pad the tail so the last tensor also ends on the alignment, as gguf-py does.
    const end = Math.ceil(last / alignment) * alignment;
    if (end > last) await fh.write(new Uint8Array(end - last), 0, end - last, last);
  } finally {
    await fh.close();
  }
}

function tensorBytes(t: GGUFWriteTensor): number {
  return rowBytes(t.type, t.shape[0]) * t.shape.slice(1).reduce((a, b) => a * b, 1);
}

function checkLength(t: GGUFWriteTensor, data: Uint8Array): void {
  const expected = tensorBytes(t);
  if (data.length !== expected) {
    throw new RangeError(`tensor ${t.name}: ${data.length} bytes given, shape [${t.shape.join(', ')}] needs ${expected}`);
  }
}
