/**
 * Parses a GGUF header (v1, v2, v3): metadata and tensor infos, never the tensor data.
 *
 * Written by hand rather than with `@huggingface/gguf` because that parser accepted a file cut
 * in the middle of its header without complaint (measured: a 5,000-byte prefix of
 * stories260K.gguf parsed "fine") and reports no offsets; Legato must name the file, the offset
 * and the reason for every bad file.
 *
 * Every number the file claims is checked before it is used: no count, length, dimension or offset
 * can make the parser allocate more than the file holds, loop longer than the file is long, or turn
 * a bigint into an imprecise number (see test/gguf/fuzz.test.ts).
 */
import { GGMLType, TYPE_INFO, typeName } from '@legato/quant';
// Node's Buffer, or its browser twin with the few methods used here (src/platform/buffer.*.ts).
import { Buffer } from '#platform/buffer';
import { clip, describeValue, GGUFError } from './errors.js';
import { openSource, type ModelSource, type OpenedSource } from './source.js';
import { FIXED_SIZE, GGUFValueType, type TypedValue } from './value-types.js';

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const DEFAULT_ALIGNMENT = 32;
/** Far beyond any real model; a header claiming more is corrupt, not big. */
const MAX_TENSORS = 1 << 20;
const MAX_KV = 1 << 20;
const MAX_DIMS = 4;
/** Real files nest arrays at most once (none of llama.cpp's keys nests at all). */
const MAX_ARRAY_DEPTH = 8;
/** Alignment is a u32 in llama.cpp; anything above 2^30 is a corrupt value. */
const MAX_ALIGNMENT = 2 ** 30;
/** Legato views F32 / F16 tensor data as typed arrays, which need 4-byte aligned starts. */
const MIN_DATA_ALIGNMENT = 4;

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
  /** The path, or a short label such as `<Uint8Array of 1048576 bytes>` for a source given as bytes. */
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

/**
 * Sequential little-endian reader. Over bytes in memory it reads in place; over a file it buffers
 * 1 MiB at a time (more only for a single field that is longer, which the caller has already
 * checked fits in the file).
 */
class Cursor {
  private buf: Buffer;
  private bufStart = 0;
  private bufLen = 0;
  pos = 0;
  readonly size: number;

  constructor(
    private readonly src: OpenedSource,
    private readonly file: string,
  ) {
    this.size = src.size;
    if (src.bytes) {
      this.buf = Buffer.from(src.bytes.buffer, src.bytes.byteOffset, src.bytes.byteLength);
      this.bufLen = src.bytes.length;
    } else {
      this.buf = Buffer.alloc(Math.min(CHUNK, src.size));
    }
  }

  get left(): number {
    return this.size - this.pos;
  }

  private need(n: number, what: string): number {
    if (n > this.size - this.pos) {
      throw new GGUFError('TRUNCATED', this.file, this.pos, `file ends while reading ${what} (needs ${n} bytes, ${this.size - this.pos} left)`);
    }
    const rel = this.pos - this.bufStart;
    if (rel >= 0 && rel + n <= this.bufLen) return rel;
    if (n > this.buf.length) this.buf = Buffer.alloc(n);
    this.bufStart = this.pos;
    this.bufLen = this.src.readSync(this.buf, Math.min(this.buf.length, this.size - this.pos), this.pos);
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

  /** A length-prefixed UTF-8 string; the length is checked against the rest of the file first. */
  string(v1: boolean, what: () => string): string {
    const at = this.pos;
    let len: number;
    if (v1) {
      len = this.u32('string length');
    } else {
      // Two u32 halves rather than a bigint: this runs once per vocabulary token.
      const r = this.need(8, 'string length');
      const lo = this.buf.readUInt32LE(r);
      const hi = this.buf.readUInt32LE(r + 4);
      this.pos += 8;
      if (hi !== 0) this.count((BigInt(hi) << 32n) | BigInt(lo), 1, () => `length of ${what()}`, at);
      len = lo;
    }
    if (len > this.size - this.pos) this.count(BigInt(len), 1, () => `length of ${what()}`, at);
    const r = this.need(len, 'a string');
    this.pos += len;
    // Buffer#toString decodes short strings far faster than TextDecoder (same replacement of bad UTF-8).
    return this.buf.toString('utf8', r, r + len);
  }

  /** `n` strings (a vocabulary): the per-string work of string() without a call per element. */
  stringArray(n: number, v1: boolean, what: () => string): string[] {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const w = v1 ? 4 : 8;
      const r = this.need(w, 'string length');
      const len = this.buf.readUInt32LE(r);
      if (v1 ? len > this.size - this.pos - 4 : this.buf.readUInt32LE(r + 4) !== 0 || len > this.size - this.pos - 8) {
        out.push(this.string(v1, what));
        continue;
      }
      this.pos += w;
      const s = this.need(len, 'a string');
      this.pos += len;
      out.push(this.buf.toString('utf8', s, s + len));
    }
    return out;
  }

  /** `n` fixed-size values of type `t` (their total size already checked against the file). */
  fixedArray(t: GGUFValueType, n: number, size: number): unknown[] {
    const b = this.buf;
    const r = this.need(n * size, 'an array');
    this.pos += n * size;
    const out: unknown[] = [];
    for (let i = 0, o = r; i < n; i++, o += size) {
      switch (t) {
        case GGUFValueType.UINT8: out.push(b[o]); break;
        case GGUFValueType.INT8: out.push(b.readInt8(o)); break;
        case GGUFValueType.UINT16: out.push(b.readUInt16LE(o)); break;
        case GGUFValueType.INT16: out.push(b.readInt16LE(o)); break;
        case GGUFValueType.UINT32: out.push(b.readUInt32LE(o)); break;
        case GGUFValueType.INT32: out.push(b.readInt32LE(o)); break;
        case GGUFValueType.FLOAT32: out.push(b.readFloatLE(o)); break;
        case GGUFValueType.BOOL: out.push(b[o] !== 0); break;
        case GGUFValueType.UINT64: out.push(toNumberish(b.readBigUInt64LE(o))); break;
        case GGUFValueType.INT64: out.push(toNumberish(b.readBigInt64LE(o))); break;
        case GGUFValueType.FLOAT64: out.push(b.readDoubleLE(o)); break;
        default: throw new Error(`not a fixed-size GGUF value type: ${String(t)}`);
      }
    }
    return out;
  }

  /**
   * A count of items of at least `minBytes` bytes each that must fit in what is left of the file:
   * checked as a bigint, so a count of 2^63 is refused before it becomes an imprecise number.
   */
  count(v: bigint, minBytes: number, what: () => string, at: number): number {
    const left = this.size - this.pos;
    if (v * BigInt(minBytes) > BigInt(left)) {
      throw new GGUFError('COUNT_TOO_LARGE', this.file, at,
        `${what()} is ${v}${minBytes > 1 ? ` (at least ${minBytes} bytes each)` : ''}, but only ${left} bytes remain in the file`);
    }
    return Number(v);
  }
}

function toNumberish(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function isValueType(t: number): t is GGUFValueType {
  return Number.isInteger(t) && t >= GGUFValueType.UINT8 && t <= GGUFValueType.FLOAT64;
}

/** Fewest bytes one value of type `t` takes on disk: how a count of them is checked against the file. */
function minValueBytes(t: GGUFValueType, v1: boolean): number {
  if (t === GGUFValueType.STRING) return v1 ? 4 : 8;
  if (t === GGUFValueType.ARRAY) return v1 ? 8 : 12;
  return FIXED_SIZE[t] ?? 1;
}

function readScalar(c: Cursor, t: GGUFValueType, v1: boolean, key: string): unknown {
  switch (t) {
    case GGUFValueType.UINT8: return c.u8('a u8 value');
    case GGUFValueType.INT8: return c.i8('an i8 value');
    case GGUFValueType.UINT16: return c.u16('a u16 value');
    case GGUFValueType.INT16: return c.i16('an i16 value');
    case GGUFValueType.UINT32: return c.u32('a u32 value');
    case GGUFValueType.INT32: return c.i32('an i32 value');
    case GGUFValueType.FLOAT32: return c.f32('an f32 value');
    case GGUFValueType.BOOL: return c.u8('a bool value') !== 0;
    case GGUFValueType.STRING: return c.string(v1, () => `a string in ${clip(key)}`);
    case GGUFValueType.UINT64: return toNumberish(c.u64('a u64 value'));
    case GGUFValueType.INT64: return toNumberish(c.i64('an i64 value'));
    case GGUFValueType.FLOAT64: return c.f64('an f64 value');
    default:
      // Unreachable: every type id is checked by isValueType before a value is read.
      throw new Error(`unhandled GGUF value type ${String(t)}`);
  }
}

function readValue(c: Cursor, t: GGUFValueType, v1: boolean, key: string, file: string, depth = 0): TypedValue {
  if (t !== GGUFValueType.ARRAY) return { type: t, value: readScalar(c, t, v1, key) };
  const at = c.pos;
  if (depth >= MAX_ARRAY_DEPTH) throw new GGUFError('TOO_DEEP', file, at, `arrays nested more than ${MAX_ARRAY_DEPTH} deep in ${clip(key)}`);
  const itemType = c.u32(`array type of ${clip(key)}`);
  if (!isValueType(itemType)) throw new GGUFError('BAD_VALUE_TYPE', file, at, `array ${clip(key)} has unknown element type ${itemType}`);
  const lenAt = c.pos;
  const n = v1 ? BigInt(c.u32('array length')) : c.u64('array length');
  const len = c.count(n, minValueBytes(itemType, v1), () => `element count of array ${clip(key)}`, lenAt);
  const fixed = FIXED_SIZE[itemType];
  if (fixed !== undefined) return { type: t, itemType, value: c.fixedArray(itemType, len, fixed) };
  if (itemType === GGUFValueType.STRING) return { type: t, itemType, value: c.stringArray(len, v1, () => `a string in ${clip(key)}`) };
  // Grown as elements are read, never sized up front from the claimed length.
  const out: unknown[] = [];
  for (let i = 0; i < len; i++) {
    out.push(itemType === GGUFValueType.ARRAY ? readValue(c, itemType, v1, key, file, depth + 1).value : readScalar(c, itemType, v1, key));
  }
  return { type: t, itemType, value: out };
}

/**
 * Reads and validates the header of a GGUF file given by path, `file:` URL or bytes. Throws a
 * GGUFError for any malformed input — never another exception, whatever the bytes — and never
 * allocates more than the source's size because the header claims something.
 */
export function readGGUFHeader(source: ModelSource): GGUFHeader {
  const src = openSource(source);
  try {
    return parseGGUFHeader(src);
  } finally {
    src.close();
  }
}

/** Parses the header of an opened source (shared with the loader, which keeps the source open). */
export function parseGGUFHeader(src: OpenedSource): GGUFHeader {
  const file = src.label;
  const size = src.size;
  const c = new Cursor(src, file);
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
  const rawTensors = v1 ? BigInt(c.u32('tensor count')) : c.u64('tensor count');
  const kvAt = c.pos;
  const rawKV = v1 ? BigInt(c.u32('metadata count')) : c.u64('metadata count');
  // Smallest records: a tensor info is a name length, a dimension count, one dimension, a type and
  // an offset; a key/value is a key length, a type and a one-byte value.
  const minTensorBytes = v1 ? 4 + 4 + 4 + 4 + 8 : 8 + 4 + 8 + 4 + 8;
  const minKVBytes = v1 ? 4 + 4 + 1 : 8 + 4 + 1;
  if (rawTensors > BigInt(MAX_TENSORS)) throw new GGUFError('COUNT_TOO_LARGE', file, countAt, `tensor count ${rawTensors} exceeds ${MAX_TENSORS}`);
  if (rawKV > BigInt(MAX_KV)) throw new GGUFError('COUNT_TOO_LARGE', file, kvAt, `metadata count ${rawKV} exceeds ${MAX_KV}`);
  const nTensors = c.count(rawTensors, minTensorBytes, () => 'tensor count', countAt);
  const nKV = c.count(rawKV, minKVBytes, () => 'metadata count', kvAt);
  if (nTensors * minTensorBytes + nKV * minKVBytes > c.left) {
    throw new GGUFError('COUNT_TOO_LARGE', file, countAt,
      `${nTensors} tensors and ${nKV} metadata entries need at least ${nTensors * minTensorBytes + nKV * minKVBytes} bytes, but only ${c.left} remain`);
  }

  const metadata: Record<string, unknown> = {};
  const typedMetadata = new Map<string, TypedValue>();
  for (let i = 0; i < nKV; i++) {
    const keyAt = c.pos;
    const key = c.string(v1, () => `key of metadata entry ${i}`);
    if (typedMetadata.has(key)) throw new GGUFError('DUPLICATE_KEY', file, keyAt, `metadata key ${clip(key)} appears twice`);
    const typeAt = c.pos;
    const t = c.u32(`type of ${clip(key)}`);
    if (!isValueType(t)) throw new GGUFError('BAD_VALUE_TYPE', file, typeAt, `unknown metadata value type ${t} for key ${clip(key)}`);
    const tv = readValue(c, t, v1, key, file);
    // defineProperty, not assignment: a key named "__proto__" must stay a plain entry.
    Object.defineProperty(metadata, key, { value: tv.value, enumerable: true, writable: true, configurable: true });
    typedMetadata.set(key, tv);
  }

  const alignment = readAlignment(typedMetadata.get('general.alignment'), file);

  const infos: { name: string; type: number; shape: number[]; offset: bigint; at: number }[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    const at = c.pos;
    const name = c.string(v1, () => `name of tensor ${i}`);
    if (seen.has(name)) throw new GGUFError('DUPLICATE_TENSOR', file, at, `tensor name ${clip(name)} appears twice`);
    seen.add(name);
    const nDims = c.u32(`dimension count of tensor ${clip(name)}`);
    if (nDims < 1 || nDims > MAX_DIMS) throw new GGUFError('BAD_DIMS', file, at, `tensor ${clip(name)} has ${nDims} dimensions (1 to ${MAX_DIMS} allowed)`);
    const shape: number[] = [];
    for (let d = 0; d < nDims; d++) {
      const dimAt = c.pos;
      const n = v1 ? BigInt(c.u32(`dimension ${d} of tensor ${clip(name)}`)) : c.u64(`dimension ${d} of tensor ${clip(name)}`);
      if (n < 1n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw new GGUFError('BAD_DIMS', file, dimAt, `tensor ${clip(name)} dimension ${d} is ${n}`);
      shape.push(Number(n));
    }
    const type = c.u32(`type of tensor ${clip(name)}`);
    const offset = c.u64(`data offset of tensor ${clip(name)}`);
    infos.push({ name, type, shape, offset, at });
  }
  const dataOffset = Math.ceil(c.pos / alignment) * alignment;
  const available = BigInt(Math.max(size - dataOffset, 0));

  const tensors: GGUFTensorInfo[] = [];
  let dataSize = 0;
  for (const t of infos) {
    const name = clip(t.name);
    const info = TYPE_INFO[t.type];
    if (!info) throw new GGUFError('UNKNOWN_TENSOR_TYPE', file, t.at, `tensor ${name} has unknown ggml type ${t.type}`);
    const ne0 = t.shape[0];
    if (ne0 % info.blockSize !== 0) {
      throw new GGUFError('BAD_ROW_SIZE', file, t.at,
        `tensor ${name} (${typeName(t.type)}, shape [${t.shape.join(', ')}]): row length ${ne0} is not a multiple of the block size ${info.blockSize}`);
    }
    // In bigints: four dimensions of up to 2^53 multiply far past what a double holds exactly.
    const elements = t.shape.reduce((a, d) => a * BigInt(d), 1n);
    if (elements > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new GGUFError('BAD_DIMS', file, t.at, `tensor ${name} has shape [${t.shape.join(', ')}]: ${elements} elements`);
    }
    const bytes = (elements / BigInt(info.blockSize)) * BigInt(info.typeSize);
    if (t.offset % BigInt(alignment) !== 0n || t.offset % BigInt(MIN_DATA_ALIGNMENT) !== 0n) {
      throw new GGUFError('MISALIGNED', file, t.at,
        `tensor ${name} data offset ${t.offset} is not a multiple of ${t.offset % BigInt(alignment) !== 0n ? `the file's alignment ${alignment}` : `${MIN_DATA_ALIGNMENT} bytes`}`);
    }
    if (t.offset + bytes > available) {
      throw new GGUFError('TENSOR_OUT_OF_BOUNDS', file, t.at,
        `tensor ${name} (${bytes} bytes at data offset ${t.offset}) runs past the end of the file (${available} data bytes)`);
    }
    const offset = Number(t.offset);
    const byteSize = Number(bytes);
    dataSize = Math.max(dataSize, offset + byteSize);
    tensors.push({ name: t.name, type: t.type as GGMLType, shape: t.shape, nElements: Number(elements), offset, byteSize, infoOffset: t.at });
  }
  checkOverlap(tensors, file);
  return { file, version: version as 1 | 2 | 3, fileSize: size, alignment, metadata, typedMetadata, tensors, dataOffset, dataSize };
}

/** `general.alignment`: an integer power of two; GGUF's default when absent. */
function readAlignment(tv: TypedValue | undefined, file: string): number {
  if (tv === undefined) return DEFAULT_ALIGNMENT;
  const integerTypes = [GGUFValueType.UINT8, GGUFValueType.INT8, GGUFValueType.UINT16, GGUFValueType.INT16,
    GGUFValueType.UINT32, GGUFValueType.INT32, GGUFValueType.UINT64, GGUFValueType.INT64];
  const a = tv.value;
  if (!integerTypes.includes(tv.type) || typeof a !== 'number' || a < 1 || a > MAX_ALIGNMENT || !Number.isInteger(Math.log2(a))) {
    throw new GGUFError('BAD_ALIGNMENT', file, undefined,
      `general.alignment must be an integer power of two up to 2^30, got ${describeValue(a)} (value type ${GGUFValueType[tv.type] ?? tv.type})`);
  }
  return a;
}

/** No two tensors may share bytes: a corrupt offset must not alias one weight onto another. */
function checkOverlap(tensors: readonly GGUFTensorInfo[], file: string): void {
  const byStart = [...tensors].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < byStart.length; i++) {
    const prev = byStart[i - 1];
    const cur = byStart[i];
    if (cur.offset < prev.offset + prev.byteSize) {
      throw new GGUFError('OVERLAP', file, cur.infoOffset,
        `tensor ${clip(cur.name)} (data offset ${cur.offset}) overlaps tensor ${clip(prev.name)} (data offset ${prev.offset}, ${prev.byteSize} bytes)`);
    }
  }
}
