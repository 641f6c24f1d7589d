/**
 * Parses a GGUF header (v1, v2, v3): metadata and tensor infos, never the tensor data.
 *
 * Written by hand rather than with `@huggingface/gguf` because that parser accepted a file cut
 * in the middle of its header without complaint (measured: a 5,000-byte prefix of
 * stories260K.gguf parsed "fine") and reports no offsets; Legato must name the file, the offset
 * and the reason for every bad file.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { GGMLType, TYPE_INFO, typeName } from '@legato/quant';
import { GGUFError } from './errors.js';
import { FIXED_SIZE, GGUFValueType, type TypedValue } from './value-types.js';

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const DEFAULT_ALIGNMENT = 32;
/** Far beyond any real model; a header claiming more is corrupt, not big. */
const MAX_TENSORS = 1 << 20;
const MAX_KV = 1 << 20;
const MAX_DIMS = 4;

export interface GGUFTensorInfo {
  readonly name: string;
  readonly type: GGMLType;
  /** ne0 first (the contiguous row length), as in ggml. */
  readonly shape: readonly number[];
  readonly nElements: number;
  /** Offset of the data relative to the start of the data section. */
  readonly offset: number;
  readonly byteSize: number;
  /** Where this tensor's info record starts in the file (for error messages). */
  readonly infoOffset: number;
}

export interface GGUFHeader {
  readonly file: string;
  readonly version: 1 | 2 | 3;
  readonly fileSize: number;
  readonly alignment: number;
  /** Plain values: numbers (u64/i64 beyond 2^53 stay bigint), strings, booleans, arrays. */
  readonly metadata: Record<string, unknown>;
  /** The same metadata with on-disk types, for rewriting a file faithfully. */
  readonly typedMetadata: Map<string, TypedValue>;
  readonly tensors: readonly GGUFTensorInfo[];
  /** Absolute file offset of the data section. */
  readonly dataOffset: number;
  /** Bytes from dataOffset to the end of the last tensor. */
  readonly dataSize: number;
}

const CHUNK = 1 << 20;

/** Sequential little-endian reader over a file, buffering 1 MiB at a time. */
class FileCursor {
  private buf = Buffer.alloc(CHUNK);
  private bufStart = 0;
  private bufLen = 0;
  pos = 0;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    private readonly fd: number,
    readonly size: number,
    private readonly file: string,
  ) {}

  private need(n: number, what: string): number {
    if (this.pos + n > this.size) {
      throw new GGUFError('TRUNCATED', this.file, this.pos, `file ends while reading ${what} (needs ${n} bytes, ${this.size - this.pos} left)`);
    }
    const rel = this.pos - this.bufStart;
    if (rel >= 0 && rel + n <= this.bufLen) return rel;
    if (n > this.buf.length) this.buf = Buffer.alloc(n);
    this.bufStart = this.pos;
    this.bufLen = readSync(this.fd, this.buf, 0, Math.min(this.buf.length, this.size - this.pos), this.pos);
    if (this.bufLen < n) throw new GGUFError('TRUNCATED', this.file, this.pos, `short read of ${what}`);
    return 0;
  }

  u8(what: string): number { const r = this.need(1, what); this.pos += 1; return this.buf[r]; }
  i8(what: string): number { const r = this.need(1, what); this.pos += 1; return this.buf.readInt8(r); }
  u16(what: string): number { const r = this.need(2, what); this.pos += 2; return this.buf.readUInt16LE(r); }
  i16(what: string): number { const r = this.need(2, what); this.pos += 2; return this.buf.readInt16LE(r); }
  u32(what: string): number { const r = this.need(4, what); this.pos += 4; return this.buf.readUInt32LE(r); }
  i32(what: string): number { const r = this.need(4, what); this.pos += 4; return this.buf.readInt32LE(r); }
  f32(what: string): number { const r = this.need(4, what); this.pos += 4; return this.buf.readFloatLE(r); }
  f64(what: string): number { const r = this.need(8, what); this.pos += 8; return this.buf.readDoubleLE(r); }
  u64(what: string): bigint { const r = this.need(8, what); this.pos += 8; return this.buf.readBigUInt64LE(r); }
  i64(what: string): bigint { const r = this.need(8, what); this.pos += 8; return this.buf.readBigInt64LE(r); }

  string(lenIsU32: boolean, what: string): string {
    const at = this.pos;
    const len = lenIsU32 ? this.u32(`length of ${what}`) : this.count(this.u64(`length of ${what}`), 1, `length of ${what}`, at);
    const r = this.need(len, what);
    this.pos += len;
    return this.decoder.decode(this.buf.subarray(r, r + len));
  }

  /** A u64 count that must fit in what is left of the file at `minBytes` bytes per item. */
  count(v: bigint, minBytes: number, what: string, at: number): number {
    const left = this.size - this.pos;
    if (v > BigInt(Math.floor(left / Math.max(minBytes, 1)))) {
      throw new GGUFError('ABSURD_VALUE', this.file, at, `${what} is ${v}, but only ${left} bytes remain in the file`);
    }
    return Number(v);
  }
}

function toNumberish(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function readScalar(c: FileCursor, t: GGUFValueType, v1: boolean, what: string, at: number, file: string): unknown {
  switch (t) {
    case GGUFValueType.UINT8: return c.u8(what);
    case GGUFValueType.INT8: return c.i8(what);
    case GGUFValueType.UINT16: return c.u16(what);
    case GGUFValueType.INT16: return c.i16(what);
    case GGUFValueType.UINT32: return c.u32(what);
    case GGUFValueType.INT32: return c.i32(what);
    case GGUFValueType.FLOAT32: return c.f32(what);
    case GGUFValueType.BOOL: return c.u8(what) !== 0;
    case GGUFValueType.STRING: return c.string(v1, what);
    case GGUFValueType.UINT64: return toNumberish(c.u64(what));
    case GGUFValueType.INT64: return toNumberish(c.i64(what));
    case GGUFValueType.FLOAT64: return c.f64(what);
    default:
      throw new GGUFError('BAD_VALUE', file, at, `unknown metadata value type ${t} in ${what}`);
  }
}

function readValue(c: FileCursor, t: GGUFValueType, v1: boolean, key: string, file: string, depth = 0): TypedValue {
  const at = c.pos;
  if (t !== GGUFValueType.ARRAY) return { type: t, value: readScalar(c, t, v1, `value of ${key}`, at, file) };
  if (depth > 8) throw new GGUFError('ABSURD_VALUE', file, at, `arrays nested too deeply in ${key}`);
  const itemType = c.u32(`array type of ${key}`) as GGUFValueType;
  const n = v1 ? c.u32(`array length of ${key}`) : c.u64(`array length of ${key}`);
  const len = c.count(BigInt(n), FIXED_SIZE[itemType] ?? (itemType === GGUFValueType.STRING ? (v1 ? 4 : 8) : 12), `array length of ${key}`, at);
  const out: unknown[] = new Array(len);
  for (let i = 0; i < len; i++) {
    out[i] = itemType === GGUFValueType.ARRAY
      ? readValue(c, itemType, v1, key, file, depth + 1).value
      : readScalar(c, itemType, v1, `element ${i} of ${key}`, c.pos, file);
  }
  return { type: t, itemType, value: out };
}

/** Reads and validates the header of a GGUF file. Throws GGUFError for any malformed input. */
export function readGGUFHeader(file: string): GGUFHeader {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new GGUFError('IO', file, undefined, `cannot open: ${(e as Error).message}`);
  }
  try {
    return parse(fd, fstatSync(fd).size, file);
  } finally {
    closeSync(fd);
  }
}

function parse(fd: number, size: number, file: string): GGUFHeader {
  const c = new FileCursor(fd, size, file);
  const magic = c.u32('magic');
  if (magic !== GGUF_MAGIC) {
    throw new GGUFError('BAD_MAGIC', file, 0, `not a GGUF file (magic 0x${magic.toString(16).padStart(8, '0')}, expected "GGUF")`);
  }
  const version = c.u32('version');
  if (version < 1 || version > 3) {
    throw new GGUFError('UNSUPPORTED_VERSION', file, 4, `GGUF version ${version} is not supported (1, 2 and 3 are)`);
  }
  const v1 = version === 1;
  const countAt = c.pos;
  const nTensors = v1 ? c.u32('tensor count') : toBounded(c.u64('tensor count'), MAX_TENSORS, 'tensor count', file, countAt);
  if (nTensors > MAX_TENSORS) throw new GGUFError('ABSURD_VALUE', file, countAt, `tensor count ${nTensors} exceeds ${MAX_TENSORS}`);
  const kvAt = c.pos;
  const nKV = v1 ? c.u32('metadata count') : toBounded(c.u64('metadata count'), MAX_KV, 'metadata count', file, kvAt);
  if (nKV > MAX_KV) throw new GGUFError('ABSURD_VALUE', file, kvAt, `metadata count ${nKV} exceeds ${MAX_KV}`);

  const metadata: Record<string, unknown> = {};
  const typedMetadata = new Map<string, TypedValue>();
  for (let i = 0; i < nKV; i++) {
    const key = c.string(v1, `key of metadata entry ${i}`);
    const typeAt = c.pos;
    const t = c.u32(`type of ${key}`) as GGUFValueType;
    if (t > GGUFValueType.FLOAT64) throw new GGUFError('BAD_VALUE', file, typeAt, `unknown metadata value type ${t} for key ${key}`);
    const tv = readValue(c, t, v1, key, file);
    metadata[key] = tv.value;
    typedMetadata.set(key, tv);
  }

  const alignment = metadata['general.alignment'] ?? DEFAULT_ALIGNMENT;
  if (typeof alignment !== 'number' || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    throw new GGUFError('BAD_VALUE', file, undefined, `general.alignment must be a power of two, got ${String(alignment)}`);
  }

  const infos: { name: string; type: number; shape: number[]; offset: bigint; at: number }[] = [];
  for (let i = 0; i < nTensors; i++) {
    const at = c.pos;
    const name = c.string(v1, `name of tensor ${i}`);
    const nDims = c.u32(`dimension count of ${name}`);
    if (nDims < 1 || nDims > MAX_DIMS) throw new GGUFError('ABSURD_VALUE', file, at, `tensor ${name} has ${nDims} dimensions (1 to ${MAX_DIMS} allowed)`);
    const shape: number[] = [];
    for (let d = 0; d < nDims; d++) {
      const dimAt = c.pos;
      const n = v1 ? BigInt(c.u32(`dimension ${d} of ${name}`)) : c.u64(`dimension ${d} of ${name}`);
      if (n < 1n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw new GGUFError('ABSURD_VALUE', file, dimAt, `tensor ${name} dimension ${d} is ${n}`);
      shape.push(Number(n));
    }
    const type = c.u32(`type of ${name}`);
    const offset = c.u64(`data offset of ${name}`);
    infos.push({ name, type, shape, offset, at });
  }
  const dataOffset = Math.ceil(c.pos / alignment) * alignment;
  const available = size - dataOffset;

  const tensors: GGUFTensorInfo[] = [];
  const seen = new Set<string>();
  let dataSize = 0;
  for (const t of infos) {
    if (seen.has(t.name)) throw new GGUFError('BAD_VALUE', file, t.at, `duplicate tensor name ${t.name}`);
    seen.add(t.name);
    const info = TYPE_INFO[t.type];
    if (!info) throw new GGUFError('UNKNOWN_TENSOR_TYPE', file, t.at, `tensor ${t.name} has unknown ggml type ${t.type}`);
    const ne0 = t.shape[0];
    if (ne0 % info.blockSize !== 0) {
      throw new GGUFError('BAD_ROW_SIZE', file, t.at,
        `tensor ${t.name} (${typeName(t.type)}, shape [${t.shape.join(', ')}]): row length ${ne0} is not a multiple of the block size ${info.blockSize}`);
    }
    let nElements = 1;
    for (const d of t.shape) nElements *= d;
    if (!Number.isSafeInteger(nElements)) throw new GGUFError('ABSURD_VALUE', file, t.at, `tensor ${t.name} has too many elements`);
    const byteSize = (nElements / info.blockSize) * info.typeSize;
    if (t.offset % BigInt(alignment) !== 0n) {
      throw new GGUFError('BAD_VALUE', file, t.at, `tensor ${t.name} data offset ${t.offset} is not a multiple of the alignment ${alignment}`);
    }
    if (t.offset + BigInt(byteSize) > BigInt(Math.max(available, 0))) {
      throw new GGUFError('TENSOR_OUT_OF_BOUNDS', file, dataOffset + Number(t.offset),
        `tensor ${t.name} (${byteSize} bytes at data offset ${t.offset}) runs past the end of the file (${Math.max(available, 0)} data bytes)`);
    }
    const offset = Number(t.offset);
    dataSize = Math.max(dataSize, offset + byteSize);
    tensors.push({ name: t.name, type: t.type as GGMLType, shape: t.shape, nElements, offset, byteSize, infoOffset: t.at });
  }
  return { file, version: version as 1 | 2 | 3, fileSize: size, alignment, metadata, typedMetadata, tensors, dataOffset, dataSize };
}

function toBounded(v: bigint, max: number, what: string, file: string, at: number): number {
  if (v > BigInt(max)) throw new GGUFError('ABSURD_VALUE', file, at, `${what} ${v} exceeds ${max}`);
  return Number(v);
}
