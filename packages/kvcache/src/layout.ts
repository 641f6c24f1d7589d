/**
 * Where each K/V vector of each block lives inside the cache storage.
 *
 * Blocks are stored block-major: all layers of one block are adjacent, so freeing, scrubbing,
 * copying (copy-on-write) and swapping a block each touch one contiguous byte range. Inside a
 * block, layer l holds its K rows for every slot, then its V rows:
 *
 *   block b: [ layer 0: K[slot 0..B-1][kvHeads*headDim], V[slot 0..B-1][kvHeads*headDim] ]
 *            [ layer 1: K..., V... ] ... [ layer L-1: K..., V... ]
 *
 * Attention over one layer walks the block table and, per block, reads `blockSize` consecutive
 * K rows (and V rows) — a dense, stride-1 run per block, like a contiguous cache.
 *
 * Offsets are in storage units, relative to the start of the storage region the cache was given:
 * elements for f32 and f16 (so `cache.f32[offset + d]` is element d of that row), bytes for q8_0,
 * whose rows are ggml blocks (32 int8 quants after an f16 scale, 34 bytes; each head whole blocks).
 * `offset * elementBytes` is always the byte offset; a WASM kernel addressing the whole memory adds
 * `storageByteOffset` to it.
 */

/** Which of the two cached tensors: keys or values. */
export type KVKind = 'k' | 'v';

/** Element type of the cached K/V values (llama.cpp's cache types of the same names). */
export type KVElementType = 'f32' | 'f16' | 'q8_0';

/** The model dimensions that decide the size of a block. */
export interface KVShape {
  /** Transformer layers (each has its own K and V). */
  layers: number;
  /** Key/value heads per layer (fewer than query heads under GQA/MQA). */
  kvHeads: number;
  /** Elements per head. */
  headDim: number;
  /** Token slots per block: 8, 16 or 32. Default 16. */
  blockSize?: number;
  /** Default 'f32'. */
  elementType?: KVElementType;
}

/** Bytes per storage unit: an element for f32/f16, a byte of a q8_0 block. */
const ELEMENT_BYTES: Record<KVElementType, number> = { f32: 4, f16: 2, q8_0: 1 };
const Q8_0_BLOCK = 32;
const Q8_0_BLOCK_BYTES = 34;
const BLOCK_SIZES = [8, 16, 32];

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** The block geometry of one model shape, and offset arithmetic over it. */
export class KVStorageLayout {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly blockSize: number;
  readonly elementType: KVElementType;
  /** Bytes per storage unit (offsets count these): 4 for f32, 2 for f16, 1 for q8_0. */
  readonly elementBytes: number;
  /** log2(blockSize): `pos >> blockShift` is the block index of a position. */
  readonly blockShift: number;
  /** blockSize - 1: `pos & blockMask` is the slot of a position inside its block. */
  readonly blockMask: number;
  /** Units from one slot's row to the next slot's row: kvHeads * headDim elements (q8_0: their bytes). */
  readonly slotStride: number;
  /** Bytes of one slot's row (kvHeads × headDim values in the element type). */
  readonly rowBytes: number;
  /** Elements from a layer's K rows to its V rows in the same block: blockSize * slotStride. */
  readonly kindStride: number;
  /** Elements from one layer to the next in the same block: 2 * kindStride. */
  readonly layerStride: number;
  /** Units per block (all layers, K and V). */
  readonly blockElements: number;
  /** Bytes per block (all layers, K and V). */
  readonly bytesPerBlock: number;
  /** Byte offset of the storage region in its buffer (for absolute addressing); 0 until bound. */
  readonly storageByteOffset: number;

  constructor(shape: KVShape, storageByteOffset = 0) {
    this.layers = positiveInteger('layers', shape.layers);
    this.kvHeads = positiveInteger('kvHeads', shape.kvHeads);
    this.headDim = positiveInteger('headDim', shape.headDim);
    this.blockSize = shape.blockSize ?? 16;
    if (!BLOCK_SIZES.includes(this.blockSize)) {
      throw new RangeError(`blockSize must be one of ${BLOCK_SIZES.join(', ')}, got ${this.blockSize}`);
    }
    this.elementType = shape.elementType ?? 'f32';
    const elementBytes = ELEMENT_BYTES[this.elementType];
    if (elementBytes === undefined) throw new RangeError(`unsupported KV element type ${String(this.elementType).slice(0, 40)}`);
    if (this.elementType === 'q8_0' && this.headDim % Q8_0_BLOCK !== 0) {
      throw new RangeError(`a q8_0 KV cache needs a head size that is a multiple of ${Q8_0_BLOCK}, got ${this.headDim}`);
    }
    this.elementBytes = elementBytes;
    this.blockShift = Math.log2(this.blockSize);
    this.blockMask = this.blockSize - 1;
    const values = this.kvHeads * this.headDim;
    this.slotStride = this.elementType === 'q8_0' ? (values / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES : values;
    this.rowBytes = this.slotStride * elementBytes;
    this.kindStride = this.blockSize * this.slotStride;
    this.layerStride = 2 * this.kindStride;
    this.blockElements = this.layers * this.layerStride;
    this.bytesPerBlock = this.blockElements * this.elementBytes;
    this.storageByteOffset = storageByteOffset;
  }

  /** Element offset of slot 0's row of `kind` for `layer` in physical block `block`. */
  blockOffset(block: number, layer: number, kind: KVKind): number {
    return block * this.blockElements + layer * this.layerStride + (kind === 'v' ? this.kindStride : 0);
  }

  /** Element offset of the row of slot `slot` (0..blockSize-1) of `kind`/`layer` in `block`. */
  slotOffset(block: number, slot: number, layer: number, kind: KVKind): number {
    return this.blockOffset(block, layer, kind) + slot * this.slotStride;
  }

  /** First element of block `block` (its layer 0 K row of slot 0). */
  blockStart(block: number): number {
    return block * this.blockElements;
  }

  /** How many whole blocks fit in `bytes`. */
  blocksForBytes(bytes: number): number {
    return Math.floor(bytes / this.bytesPerBlock);
  }

  /** Blocks needed to hold `tokens` tokens. */
  blocksForTokens(tokens: number): number {
    return (tokens + this.blockMask) >> this.blockShift;
  }
}
