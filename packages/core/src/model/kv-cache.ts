/**
 * The forward pass's view of the KV cache: where the K and V rows of (layer, position) live, and in
 * which element type (f32, f16 or q8_0; see @legato/quant's kv-types.ts). A contiguous cache and
 * the paged cache both answer with byte offsets into one byte array, so attention reads keys and
 * values in place, in their stored type, whatever the layout.
 */
import { kvRowBytes, type KVType } from '@legato/quant';

export interface KVCache {
  /** Values per position per layer (KV heads × head size). */
  readonly kvDim: number;
  /** The element type rows are stored in. */
  readonly type: KVType;
  /** Positions the cache can hold for this sequence. */
  readonly capacity: number;
  /** The storage that `kOffset`/`vOffset` index into, as bytes. */
  readonly data: Uint8Array;
  /** Makes room for positions [0, end); throws a typed error when it cannot. */
  reserve(end: number): void;
  /** Byte offset in `data` of the K row of (layer, pos). */
  kOffset(layer: number, pos: number): number;
  /** Byte offset in `data` of the V row of (layer, pos). */
  vOffset(layer: number, pos: number): number;
  /** Forgets positions >= length (the next write starts there). */
  truncate(length: number): void;
  dispose(): void;
}

/**
 * One [layers × capacity] block of rows for K and one for V, allocated once per context. Given a
 * Float32Array (as `floatsNeeded` sizes it) it views the same bytes.
 */
export class ContiguousKVCache implements KVCache {
  readonly data: Uint8Array;
  private readonly rowBytes: number;
  private readonly layerStride: number;
  private readonly vBase: number;

  constructor(
    storage: Uint8Array | Float32Array,
    readonly nLayers: number,
    readonly capacity: number,
    readonly kvDim: number,
    readonly type: KVType = 'f32',
  ) {
    const data = storage instanceof Uint8Array ? storage : new Uint8Array(storage.buffer, storage.byteOffset, storage.byteLength);
    this.data = data;
    this.rowBytes = kvRowBytes(type, kvDim);
    this.layerStride = capacity * this.rowBytes;
    this.vBase = nLayers * this.layerStride;
    if (data.length < 2 * this.vBase) throw new RangeError(`KV storage of ${data.length} bytes is smaller than ${2 * this.vBase}`);
  }

  /** Floats an f32 cache of this shape needs (for `arena.allocF32`). */
  static floatsNeeded(nLayers: number, capacity: number, kvDim: number): number {
    return 2 * nLayers * capacity * kvDim;
  }

  /** Bytes a cache of this shape needs. */
  static bytesNeeded(nLayers: number, capacity: number, kvDim: number, type: KVType = 'f32'): number {
    return 2 * nLayers * capacity * kvRowBytes(type, kvDim);
  }

  reserve(end: number): void {
    if (end > this.capacity) throw new RangeError(`KV cache holds ${this.capacity} positions, ${end} requested`);
  }

  kOffset(layer: number, pos: number): number {
    return layer * this.layerStride + pos * this.rowBytes;
  }

  vOffset(layer: number, pos: number): number {
    return this.vBase + layer * this.layerStride + pos * this.rowBytes;
  }

  truncate(_length: number): void {
    // Positions past `length` are simply overwritten by the next writes.
  }

  dispose(): void {}
}

/** Bytes of K and V for one position over all layers: what one token of context costs. */
export function kvBytesPerToken(nLayers: number, kvDim: number, type: KVType): number {
  return 2 * nLayers * kvRowBytes(type, kvDim);
}
