/**
 * Structure-aware mutations of GGUF files, shared by the fuzz test (fuzz.test.ts) and the long
 * runner (bench/fuzz-gguf.ts). A small scanner, independent of the parser under test, records where
 * every field of a valid file sits; a mutation then corrupts one field (a count, a length, a type id,
 * a dimension, an offset), one section (a bit flip or a cut inside the header, metadata, tensor
 * infos, padding or data) or the relations between tensors (duplicate names, overlap, misalignment).
 */
import fc from 'fast-check';
import { GGUFError, loadGGUF } from '../../src/gguf/index.js';
import type { Arena } from '@legato/quant';

interface Field {
  at: number;
  width: 4 | 8;
}

interface KVLayout {
  keyLen: Field;
  keyAt: number;
  keyBytes: number;
  type: Field;
  /** Element type and length fields of every array in the value (nested ones included). */
  arrays: { itemType: Field; length: Field }[];
  /** Length fields of string values (array elements included). */
  strings: Field[];
}

interface TensorLayout {
  nameLen: Field;
  nameAt: number;
  nameBytes: number;
  nDims: Field;
  dims: Field[];
  type: Field;
  offset: Field;
}

/** Where each field of a valid GGUF file sits. */
export interface GGUFLayout {
  readonly size: number;
  readonly version: number;
  readonly tensorCount: Field;
  readonly kvCount: Field;
  readonly kvs: readonly KVLayout[];
  readonly tensors: readonly TensorLayout[];
  /** Section boundaries: [0, metaStart) header, then metadata, tensor infos, padding, data. */
  readonly metaStart: number;
  readonly infoStart: number;
  readonly infoEnd: number;
  readonly dataOffset: number;
  readonly alignment: number;
}

const FIXED: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** Scans a well-formed GGUF file (v1–v3). Throws on anything unexpected: the corpus must be valid. */
export function scanLayout(b: Uint8Array): GGUFLayout {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const version = dv.getUint32(4, true);
  const v1 = version === 1;
  const w: 4 | 8 = v1 ? 4 : 8;
  let p = 8;
  const rd = (width: 4 | 8): number => {
    const v = width === 4 ? dv.getUint32(p, true) : Number(dv.getBigUint64(p, true));
    p += width;
    return v;
  };
  const tensorCount: Field = { at: p, width: w };
  const nT = rd(w);
  const kvCount: Field = { at: p, width: w };
  const nKV = rd(w);
  const metaStart = p;
  const kvs: KVLayout[] = [];
  let alignment = 32;
  const readValue = (t: number, kv: KVLayout): number | undefined => {
    if (t === 8) {
      kv.strings.push({ at: p, width: w });
      const n = rd(w);
      p += n;
      return undefined;
    }
    if (t === 9) {
      const itemType: Field = { at: p, width: 4 };
      const it = rd(4);
      const length: Field = { at: p, width: w };
      const n = rd(w);
      kv.arrays.push({ itemType, length });
      if (FIXED[it] !== undefined) p += n * FIXED[it];
      else for (let i = 0; i < n; i++) readValue(it, kv);
      return undefined;
    }
    const size = FIXED[t];
    if (size === undefined) throw new Error(`scanLayout: value type ${t} at ${p}`);
    const v = size === 4 ? dv.getUint32(p, true) : size === 8 ? Number(dv.getBigUint64(p, true)) : 0;
    p += size;
    return v;
  };
  for (let i = 0; i < nKV; i++) {
    const keyLen: Field = { at: p, width: w };
    const keyBytes = rd(w);
    const keyAt = p;
    const key = new TextDecoder().decode(b.subarray(p, p + keyBytes));
    p += keyBytes;
    const type: Field = { at: p, width: 4 };
    const t = rd(4);
    const kv: KVLayout = { keyLen, keyAt, keyBytes, type, arrays: [], strings: [] };
    const v = readValue(t, kv);
    if (key === 'general.alignment' && v !== undefined) alignment = v;
    kvs.push(kv);
  }
  const infoStart = p;
  const tensors: TensorLayout[] = [];
  for (let i = 0; i < nT; i++) {
    const nameLen: Field = { at: p, width: w };
    const nameBytes = rd(w);
    const nameAt = p;
    p += nameBytes;
    const nDims: Field = { at: p, width: 4 };
    const nd = rd(4);
    const dims: Field[] = [];
    for (let d = 0; d < nd; d++) {
      dims.push({ at: p, width: w });
      p += w;
    }
    const type: Field = { at: p, width: 4 };
    p += 4;
    const offset: Field = { at: p, width: 8 };
    p += 8;
    tensors.push({ nameLen, nameAt, nameBytes, nDims, dims, type, offset });
  }
  const infoEnd = p;
  const dataOffset = Math.ceil(p / alignment) * alignment;
  return { size: b.length, version, tensorCount, kvCount, kvs, tensors, metaStart, infoStart, infoEnd, dataOffset, alignment };
}

export type Section = 'header' | 'metadata' | 'infos' | 'padding' | 'data';
const SECTIONS: readonly Section[] = ['header', 'metadata', 'infos', 'padding', 'data'];

export type MutationKind =
  | 'bitflip' | 'byte-run' | 'truncate' | 'splice-delete' | 'splice-dup'
  | 'version' | 'tensor-count' | 'kv-count' | 'string-length' | 'array-length' | 'value-type' | 'array-type'
  | 'n-dims' | 'dim' | 'dims-overflow' | 'tensor-type' | 'offset' | 'misalign' | 'overlap'
  | 'duplicate-tensor' | 'duplicate-key';

export const MUTATION_KINDS: readonly MutationKind[] = [
  'bitflip', 'byte-run', 'truncate', 'splice-delete', 'splice-dup',
  'version', 'tensor-count', 'kv-count', 'string-length', 'array-length', 'value-type', 'array-type',
  'n-dims', 'dim', 'dims-overflow', 'tensor-type', 'offset', 'misalign', 'overlap',
  'duplicate-tensor', 'duplicate-key',
];

/** One mutation as plain data, so a failing case prints as something a person can replay. */
export interface Mutation {
  kind: MutationKind;
  section: Section;
  /** Picks the field, tensor or byte: taken modulo however many there are. */
  pick: number;
  /** A second pick (the other tensor of a pair, a run length). */
  pick2: number;
  /** The value written into a field (cut to the field's width). */
  value: bigint;
}

/** Values that break parsers: powers of two at every width edge, 2^40 and 2^63 included. */
export const INTERESTING: readonly bigint[] = [
  0n, 1n, 2n, 3n, 4n, 5n, 13n, 31n, 39n, 40n, 255n, 0xffffn, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n,
  2n ** 40n, 2n ** 52n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 62n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n,
];

export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom(...MUTATION_KINDS),
  section: fc.constantFrom(...SECTIONS),
  pick: fc.nat({ max: 0x7fffffff }),
  pick2: fc.nat({ max: 0x7fffffff }),
  value: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...INTERESTING) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 4096n }) },
  ),
});

/** One to three mutations applied in turn to one file. */
export const mutationsArb: fc.Arbitrary<Mutation[]> = fc.array(mutationArb, { minLength: 1, maxLength: 3 });

function write(b: Uint8Array, f: Field, value: bigint): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (f.at + f.width > b.length) return;
  if (f.width === 4) dv.setUint32(f.at, Number(value & 0xffffffffn), true);
  else dv.setBigUint64(f.at, value & (2n ** 64n - 1n), true);
}

function read(b: Uint8Array, f: Field): bigint {
  if (f.at + f.width > b.length) return 0n;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return f.width === 4 ? BigInt(dv.getUint32(f.at, true)) : dv.getBigUint64(f.at, true);
}

function sectionRange(l: GGUFLayout, s: Section): [number, number] {
  const r: Record<Section, [number, number]> = {
    header: [0, l.metaStart],
    metadata: [l.metaStart, l.infoStart],
    infos: [l.infoStart, l.infoEnd],
    padding: [l.infoEnd, l.dataOffset],
    data: [l.dataOffset, l.size],
  };
  const [a, b] = r[s];
  // An empty section (no padding, no tensors) falls back to the whole file.
  return b > a ? [a, b] : [0, l.size];
}

const at = <T>(xs: readonly T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);

/**
 * Applies one mutation; returns the new bytes and a label naming what was done (the label is what a
 * failing case prints). Field positions come from the layout of the original file, so after a
 * splice or a cut later mutations land on whatever bytes are there now — that is fine for fuzzing.
 */
export function applyMutation(src: Uint8Array, l: GGUFLayout, m: Mutation, inPlace = false): { bytes: Uint8Array; label: string } {
  const b = inPlace ? src : new Uint8Array(src);
  const [lo, hi] = sectionRange(l, m.section);
  // An earlier cut or splice may have shortened the file: stay inside what is left.
  const pos = Math.min(lo + (m.pick % (hi - lo)), Math.max(b.length - 1, 0));
  const v = m.value;
  const allStrings = [...l.kvs.flatMap((k) => [k.keyLen, ...k.strings]), ...l.tensors.map((t) => t.nameLen)];
  const arrays = l.kvs.flatMap((k) => k.arrays);
  const tensor = at(l.tensors, m.pick);
  const other = at(l.tensors, m.pick2);
  const set = (f: Field | undefined, val: bigint, what: string) => {
    if (!f) return { bytes: b, label: `${m.kind}: no ${what} (no-op)` };
    write(b, f, val);
    return { bytes: b, label: `${m.kind}: ${what} @${f.at} := ${val & (f.width === 4 ? 0xffffffffn : 2n ** 64n - 1n)}` };
  };
  switch (m.kind) {
    case 'bitflip': {
      const bit = m.pick2 % 8;
      if (pos < b.length) b[pos] ^= 1 << bit;
      return { bytes: b, label: `bitflip ${m.section} byte ${pos} bit ${bit}` };
    }
    case 'byte-run': {
      const n = 1 + (m.pick2 % 16);
      for (let i = 0; i < n && pos + i < b.length; i++) b[pos + i] = Number((v >> BigInt((i % 8) * 8)) & 0xffn);
      return { bytes: b, label: `byte-run ${m.section} ${n} bytes at ${pos}` };
    }
    case 'truncate':
      return { bytes: b.subarray(0, pos), label: `truncate in ${m.section} at ${pos} of ${l.size}` };
    case 'splice-delete': {
      const n = Math.min(1 + (m.pick2 % 64), b.length - pos);
      const out = new Uint8Array(b.length - n);
      out.set(b.subarray(0, pos));
      out.set(b.subarray(pos + n), pos);
      return { bytes: out, label: `splice-delete ${m.section} ${n} bytes at ${pos}` };
    }
    case 'splice-dup': {
      const n = Math.min(1 + (m.pick2 % 64), b.length - pos);
      const out = new Uint8Array(b.length + n);
      out.set(b.subarray(0, pos + n));
      out.set(b.subarray(pos), pos + n);
      return { bytes: out, label: `splice-dup ${m.section} ${n} bytes at ${pos}` };
    }
    case 'version':
      return set({ at: 4, width: 4 }, v, 'version');
    case 'tensor-count':
      return set(l.tensorCount, v, 'tensor count');
    case 'kv-count':
      return set(l.kvCount, v, 'metadata count');
    case 'string-length':
      return set(at(allStrings, m.pick), v, 'string length');
    case 'array-length':
      return set(at(arrays, m.pick)?.length, m.pick2 % 2 === 0 ? 2n ** 40n : v, 'array length');
    case 'value-type':
      return set(at(l.kvs, m.pick)?.type, v, 'metadata value type');
    case 'array-type':
      return set(at(arrays, m.pick)?.itemType, v, 'array element type');
    case 'n-dims':
      return set(tensor?.nDims, v, 'dimension count');
    case 'dim':
      return set(tensor && at(tensor.dims, m.pick2), v, 'dimension');
    case 'dims-overflow': {
      if (!tensor) return { bytes: b, label: 'dims-overflow: no tensor (no-op)' };
      // Each dimension alone is plausible; their product is not (2^(16..53) per dimension).
      const d = 2n ** BigInt(16 + (m.pick2 % 38));
      for (const f of tensor.dims) write(b, f, d);
      return { bytes: b, label: `dims-overflow: tensor @${tensor.nameLen.at} dims := ${d} each` };
    }
    case 'tensor-type':
      return set(tensor?.type, m.pick2 % 2 === 0 ? v % 64n : v, 'tensor type');
    case 'offset':
      return set(tensor?.offset, v, 'tensor offset');
    case 'misalign': {
      if (!tensor) return { bytes: b, label: 'misalign: no tensor (no-op)' };
      const shift = 1n + (v % BigInt(Math.max(1, l.alignment - 1)));
      return set(tensor.offset, read(b, tensor.offset) + shift, 'tensor offset (misaligned)');
    }
    case 'overlap': {
      if (!tensor || !other || tensor === other) return { bytes: b, label: 'overlap: fewer than two tensors (no-op)' };
      const shift = BigInt(l.alignment) * (v % 4n);
      return set(tensor.offset, read(b, other.offset) + shift, 'tensor offset (onto another tensor)');
    }
    case 'duplicate-tensor':
      return duplicateName(b, l.tensors.map((t) => ({ at: t.nameAt, n: t.nameBytes })), m, 'tensor name');
    case 'duplicate-key':
      return duplicateName(b, l.kvs.map((k) => ({ at: k.keyAt, n: k.keyBytes })), m, 'metadata key');
  }
}

/** Copies one name over another of the same byte length (the only way to duplicate without re-encoding). */
function duplicateName(b: Uint8Array, names: { at: number; n: number }[], m: Mutation, what: string): { bytes: Uint8Array; label: string } {
  if (names.length < 2) return { bytes: b, label: `duplicate ${what}: fewer than two (no-op)` };
  const src = names[m.pick % names.length];
  const same = names.filter((x) => x.n === src.n && x.at !== src.at);
  const dst = at(same, m.pick2);
  if (!dst) return { bytes: b, label: `duplicate ${what}: no other of length ${src.n} (no-op)` };
  b.copyWithin(dst.at, src.at, src.at + src.n);
  return { bytes: b, label: `duplicate ${what} @${src.at} copied onto @${dst.at}` };
}

export function applyMutations(src: Uint8Array, l: GGUFLayout, ms: readonly Mutation[]): { bytes: Uint8Array; label: string } {
  // One copy of the original; every mutation after it edits that copy (or a spliced one) in place.
  let bytes: Uint8Array = new Uint8Array(src);
  const labels: string[] = [];
  for (const m of ms) {
    const r = applyMutation(bytes, l, m, true);
    bytes = r.bytes;
    labels.push(r.label);
  }
  return { bytes, label: labels.join(' + ') };
}

/** What one fuzz case did: loaded, or refused with a GGUFError code. Anything else is thrown. */
export interface CaseOutcome {
  outcome: 'loaded' | string;
  ms: number;
  message?: string;
}

/**
 * Loads `bytes` with `loadGGUF` into `arena` (freed again afterwards). Returns the outcome; throws
 * when the loader misbehaves: a non-GGUFError, a message carrying too much file text, or a load
 * whose tensors do not fit in the file.
 */
export async function runCase(bytes: Uint8Array, arena: Arena): Promise<CaseOutcome> {
  const t0 = performance.now();
  try {
    const f = await loadGGUF(bytes, { arena });
    const ms = performance.now() - t0;
    try {
      for (const t of f.tensors.values()) {
        if (t.data.byteLength !== t.byteSize || t.offset + t.byteSize > f.header.dataSize) throw new Error(`tensor ${t.name} escapes the data section`);
      }
      if (f.header.dataSize > 0 && f.header.dataOffset + f.header.dataSize > bytes.length) throw new Error('data section runs past the end of the bytes');
    } finally {
      arena.free(f.dataAddress);
    }
    return { outcome: 'loaded', ms };
  } catch (e) {
    const ms = performance.now() - t0;
    if (!(e instanceof GGUFError)) throw e;
    if (e.message.length > 400) throw new Error(`GGUFError message of ${e.message.length} chars: ${e.message.slice(0, 200)}…`);
    return { outcome: e.code, ms, message: e.message };
  }
}
