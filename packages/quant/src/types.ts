/**
 * ggml tensor types: ids as they appear in GGUF tensor infos, and the block geometry of each.
 * Every quantized type stores a row as whole blocks of `blockSize` elements, `typeSize` bytes each.
 */
export enum GGMLType {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ4_NL = 20,
  IQ4_XS = 23,
  BF16 = 30,
}

export interface TypeInfo {
  readonly name: string;
  /** Elements per block. */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
}

/** Geometry of every type Legato knows the layout of (not all have kernels; see `isSupportedType`). */
export const TYPE_INFO: Readonly<Record<number, TypeInfo>> = {
  [GGMLType.F32]: { name: 'F32', blockSize: 1, typeSize: 4 },
  [GGMLType.F16]: { name: 'F16', blockSize: 1, typeSize: 2 },
  [GGMLType.BF16]: { name: 'BF16', blockSize: 1, typeSize: 2 },
  [GGMLType.Q4_0]: { name: 'Q4_0', blockSize: 32, typeSize: 18 },
  [GGMLType.Q4_1]: { name: 'Q4_1', blockSize: 32, typeSize: 20 },
  [GGMLType.Q5_0]: { name: 'Q5_0', blockSize: 32, typeSize: 22 },
  [GGMLType.Q5_1]: { name: 'Q5_1', blockSize: 32, typeSize: 24 },
  [GGMLType.Q8_0]: { name: 'Q8_0', blockSize: 32, typeSize: 34 },
  [GGMLType.Q8_1]: { name: 'Q8_1', blockSize: 32, typeSize: 36 },
  [GGMLType.Q2_K]: { name: 'Q2_K', blockSize: 256, typeSize: 84 },
  [GGMLType.Q3_K]: { name: 'Q3_K', blockSize: 256, typeSize: 110 },
  [GGMLType.Q4_K]: { name: 'Q4_K', blockSize: 256, typeSize: 144 },
  [GGMLType.Q5_K]: { name: 'Q5_K', blockSize: 256, typeSize: 176 },
  [GGMLType.Q6_K]: { name: 'Q6_K', blockSize: 256, typeSize: 210 },
  [GGMLType.Q8_K]: { name: 'Q8_K', blockSize: 256, typeSize: 292 },
  [GGMLType.IQ4_NL]: { name: 'IQ4_NL', blockSize: 32, typeSize: 18 },
  [GGMLType.IQ4_XS]: { name: 'IQ4_XS', blockSize: 256, typeSize: 136 },
};

/** Types whose weights Legato can compute with (dequantize and dot). */
export const SUPPORTED_WEIGHT_TYPES: readonly GGMLType[] = [
  GGMLType.F32, GGMLType.F16, GGMLType.BF16, GGMLType.Q8_0, GGMLType.Q4_0, GGMLType.Q4_1,
  GGMLType.Q5_0, GGMLType.Q5_1, GGMLType.Q2_K, GGMLType.Q3_K, GGMLType.Q4_K, GGMLType.Q5_K,
  GGMLType.Q6_K, GGMLType.IQ4_NL,
];

export function isKnownType(type: number): boolean {
  return TYPE_INFO[type] !== undefined;
}

export function isSupportedType(type: number): boolean {
  return SUPPORTED_WEIGHT_TYPES.includes(type as GGMLType);
}

export function typeName(type: number): string {
  return TYPE_INFO[type]?.name ?? `unknown(${type})`;
}

/** Bytes of one row of `n` elements; throws if `n` is not a whole number of blocks. */
export function rowBytes(type: GGMLType, n: number): number {
  const info = TYPE_INFO[type];
  if (!info) throw new RangeError(`unknown ggml type ${type}`);
  if (n % info.blockSize !== 0) {
    throw new RangeError(`row of ${n} elements is not a multiple of ${info.name}'s block size ${info.blockSize}`);
  }
  return (n / info.blockSize) * info.typeSize;
}
