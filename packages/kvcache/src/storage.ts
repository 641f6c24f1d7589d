/**
 * The memory the block pool lives in. The cache does not own an allocator: it is handed a byte
 * range (normally a region of the shared WebAssembly arena, so attention kernels on any thread can
 * read blocks in place) or a factory that makes one, or it allocates a private ArrayBuffer.
 */
import { KVConfigError } from './errors.js';

/** A byte range of a buffer the pool may use exclusively. */
export interface KVStorage {
  /** A SharedArrayBuffer, a (shared) WebAssembly.Memory buffer or a plain ArrayBuffer. */
  buffer: ArrayBufferLike;
  /** Start of the region; must be a multiple of 4. */
  byteOffset: number;
  /** Length of the region; must hold every block. */
  byteLength: number;
  /**
   * True when the region is known to be all zeros (fresh memory). Otherwise the pool scrubs it
   * once at construction so that nothing left in it by a previous user reaches a sequence.
   */
  zeroed?: boolean;
}

/** Makes storage of at least `byteLength` bytes, e.g. `(n) => ({ buffer: arena.buffer, byteOffset: arena.alloc(n), byteLength: n, zeroed: true })`. */
export type KVStorageFactory = (byteLength: number) => KVStorage;

/** Resolves the storage option to a region of exactly what the pool needs, validating it. */
export function resolveStorage(option: KVStorage | KVStorageFactory | undefined, byteLength: number): KVStorage {
  if (option === undefined) {
    // A fresh ArrayBuffer is zero-filled by the engine.
    return { buffer: new ArrayBuffer(byteLength), byteOffset: 0, byteLength, zeroed: true };
  }
  const storage = typeof option === 'function' ? option(byteLength) : option;
  if (!Number.isInteger(storage.byteOffset) || storage.byteOffset < 0 || storage.byteOffset % 4 !== 0) {
    throw new KVConfigError(`storage byteOffset must be a non-negative multiple of 4, got ${storage.byteOffset}`);
  }
  if (storage.byteLength < byteLength) {
    throw new KVConfigError(`storage holds ${storage.byteLength} bytes but the pool needs ${byteLength}`);
  }
  if (storage.byteOffset + byteLength > storage.buffer.byteLength) {
    throw new KVConfigError(
      `storage region [${storage.byteOffset}, ${storage.byteOffset + byteLength}) exceeds its buffer of ${storage.buffer.byteLength} bytes`,
    );
  }
  return { buffer: storage.buffer, byteOffset: storage.byteOffset, byteLength, zeroed: storage.zeroed ?? false };
}
