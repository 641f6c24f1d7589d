/**
 * Typed access to the `tokenizer.ggml.*` keys of GGUF metadata. Every accessor names the key it
 * rejects, so a malformed file fails with a message that points at the culprit.
 */
import { previewValue } from '../errors.js';
import { TokenizerError } from './errors.js';

/**
 * GGUF metadata as key → value. Arrays are JS arrays (or typed arrays), numbers are numbers; u64/i64
 * values may be bigint.
 */
export type GGUFMetadata = Record<string, unknown>;

function bad(key: string, what: string): TokenizerError {
  return new TokenizerError(`GGUF metadata key '${key}' ${what}`);
}

function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || ArrayBuffer.isView(v);
}

export function optString(meta: GGUFMetadata, key: string): string | undefined {
  const v = meta[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw bad(key, `must be a string, got ${typeof v}`);
  return v;
}

export function reqString(meta: GGUFMetadata, key: string): string {
  const v = optString(meta, key);
  if (v === undefined) throw bad(key, 'is missing');
  return v;
}

export function optBool(meta: GGUFMetadata, key: string): boolean | undefined {
  const v = meta[key];
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  // Some writers store flags as integers.
  if (typeof v === 'number' || typeof v === 'bigint') return v !== 0 && v !== 0n;
  throw bad(key, `must be a boolean, got ${typeof v}`);
}

/** An integer key; bigint values are accepted when they fit a double exactly. */
export function optInt(meta: GGUFMetadata, key: string): number | undefined {
  const v = meta[key];
  if (v === undefined) return undefined;
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw bad(key, `is out of range: ${v}`);
    return Number(v);
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(key, `must be an integer, got ${previewValue(v)}`);
  return v;
}

export function reqStringArray(meta: GGUFMetadata, key: string): readonly string[] {
  const v = meta[key];
  if (v === undefined) throw bad(key, 'is missing');
  if (!Array.isArray(v)) throw bad(key, 'must be an array of strings');
  for (let i = 0; i < v.length; i++) {
    if (typeof v[i] !== 'string') throw bad(key, `must be an array of strings (element ${i} is ${typeof v[i]})`);
  }
  return v as string[];
}

/** The first `minLength` elements of a numeric array, copied into a typed array made by `make`. */
export function optNumberArray<T extends Float32Array | Int32Array>(
  meta: GGUFMetadata,
  key: string,
  minLength: number,
  make: (n: number) => T,
): T | undefined {
  const v = meta[key];
  if (v === undefined) return undefined;
  if (!isArrayLike(v)) throw bad(key, 'must be a numeric array');
  if (v.length < minLength) throw bad(key, `has ${v.length} elements, fewer than the ${minLength} tokens`);
  const out = make(minLength);
  for (let i = 0; i < minLength; i++) {
    const x = v[i];
    if (typeof x === 'number') out[i] = x;
    else if (typeof x === 'bigint') out[i] = Number(x);
    else throw bad(key, `must be a numeric array (element ${i} is ${typeof x})`);
  }
  return out;
}
