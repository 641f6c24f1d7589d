/**
 * The forward pass's view of the KV cache: where the K and V vectors of (layer, position) live.
 * A contiguous cache and the paged cache both answer with element offsets into one Float32Array,
 * so attention reads keys and values in place whatever the layout.
 */
export interface KVCache {
  /** Floats per position per layer (KV heads × head size). */
  readonly kvDim: number;
  /** Positions the cache can hold for this sequence. */
  readonly capacity: number;
  /** The storage that `kOffset`/`vOffset` index into. */
  readonly data: Float32Array;
  /** Makes room for positions [0, end); throws a typed error when it cannot. */
  reserve(end: number): void;
  kOffset(layer: number, pos: number): number;
  vOffset(layer: number, pos: number): number;
  /** Forgets positions >= length (the next write starts there). */
  truncate(length: number): void;
  dispose(): void;
}

/** One [layers × capacity × kvDim] block for K and one for V, allocated once per context. */
export class ContiguousKVCache implements KVCache {
  private readonly layerStride: number;
  private readonly vBase: number;

  constructor(
    readonly data: Float32Array,
    readonly nLayers: number,
    readonly capacity: number,
    readonly kvDim: number,
  ) {
    this.layerStride = capacity * kvDim;
    this.vBase = nLayers * this.layerStride;
    if (data.length < 2 * this.vBase) throw new RangeError(`KV storage of ${data.length} floats is smaller than ${2 * this.vBase}`);
  }

  static floatsNeeded(nLayers: number, capacity: number, kvDim: number): number {
    return 2 * nLayers * capacity * kvDim;
  }

  reserve(end: number): void {
    if (end > this.capacity) throw new RangeError(`KV cache holds ${this.capacity} positions, ${end} requested`);
  }

  kOffset(layer: number, pos: number): number {
    return layer * this.layerStride + pos * this.kvDim;
  }

  vOffset(layer: number, pos: number): number {
    return this.vBase + layer * this.layerStride + pos * this.kvDim;
  }

  truncate(_length: number): void {
    // Positions past `length` are simply overwritten by the next writes.
  }

  dispose(): void {}
}
