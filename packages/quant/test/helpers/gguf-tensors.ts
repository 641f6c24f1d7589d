/**
 * Just enough GGUF to find tensors in the shared test models: header, metadata skipped by type
 * (only `general.alignment` is kept), tensor infos, aligned data start. Supports v1 (32-bit
 * counts, lengths and dims) through v3.
 */
import { readFileSync } from 'node:fs';

export interface TensorLocation {
  readonly name: string;
  /** dims[0] is the contiguous row length, as in ggml. */
  readonly dims: number[];
  readonly type: number;
  readonly nElements: number;
  /** Absolute byte offset of the tensor's data in the file. */
  readonly offset: number;
}

export interface GgufTensors {
  readonly bytes: Uint8Array;
  readonly version: number;
  readonly tensors: Map<string, TensorLocation>;
}

const cache = new Map<string, GgufTensors>();

/** Parses (once per path) the tensor table of a GGUF file. */
export function readGgufTensors(path: string): GgufTensors {
  const hit = cache.get(path);
  if (hit) return hit;
  const buf = readFileSync(path);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;

  const u32 = (): number => {
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${path}: 64-bit value ${v} too large at ${pos - 8}`);
    return Number(v);
  };

  if (String.fromCharCode(...bytes.subarray(0, 4)) !== 'GGUF') throw new Error(`${path}: not a GGUF file`);
  pos = 4;
  const version = u32();
  if (version < 1 || version > 3) throw new Error(`${path}: unsupported GGUF version ${version}`);
  const count = version === 1 ? u32 : u64;
  const str = (): string => {
    const len = count();
    const s = new TextDecoder().decode(bytes.subarray(pos, pos + len));
    pos += len;
    return s;
  };

  // Sizes of fixed-width metadata value types; 8 = string and 9 = array are variable.
  const FIXED: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  const skipValue = (type: number): void => {
    if (type === 8) {
      const len = count(); // not `pos += count()`: that reads pos before count() advances it
      pos += len;
      return;
    }
    if (type === 9) {
      const elemType = u32();
      const n = count();
      if (FIXED[elemType] !== undefined) pos += n * FIXED[elemType];
      else for (let i = 0; i < n; i++) skipValue(elemType);
      return;
    }
    const size = FIXED[type];
    if (size === undefined) throw new Error(`${path}: unknown metadata value type ${type} at ${pos}`);
    pos += size;
  };

  const nTensors = count();
  const nKv = count();
  let alignment = 32;
  for (let i = 0; i < nKv; i++) {
    const key = str();
    const type = u32();
    if (key === 'general.alignment' && type === 4) alignment = u32();
    else skipValue(type);
  }

  const infos: { name: string; dims: number[]; type: number; rel: number }[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = str();
    const nDims = u32();
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(count());
    const type = u32();
    const rel = u64();
    infos.push({ name, dims, type, rel });
  }
  const dataStart = Math.ceil(pos / alignment) * alignment;

  const tensors = new Map<string, TensorLocation>();
  for (const t of infos) {
    tensors.set(t.name, {
      name: t.name,
      dims: t.dims,
      type: t.type,
      nElements: t.dims.reduce((a, b) => a * b, 1),
      offset: dataStart + t.rel,
    });
  }
  const result = { bytes, version, tensors };
  cache.set(path, result);
  return result;
}

/** The named tensor's location; throws naming the file if absent. */
export function tensorIn(file: GgufTensors, name: string): TensorLocation {
  const t = file.tensors.get(name);
  if (!t) throw new Error(`tensor ${name} not found (have ${[...file.tensors.keys()].slice(0, 5).join(', ')}, ...)`);
  return t;
}
