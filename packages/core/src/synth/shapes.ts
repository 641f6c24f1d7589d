/** Real models' shapes, for synthesizing random-weight models of the same size. */
export interface ModelShape {
  readonly name: string;
  readonly dim: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKVHeads: number;
  readonly ffnDim: number;
  readonly vocabSize: number;
  readonly contextLength: number;
  readonly rmsEps: number;
  readonly ropeFreqBase: number;
}

export const SHAPES: Readonly<Record<string, ModelShape>> = {
  /** A demo-sized model: quick to synthesize and run anywhere. */
  'demo-4m': { name: 'demo-4m', dim: 128, nLayers: 4, nHeads: 4, nKVHeads: 2, ffnDim: 384, vocabSize: 8000, contextLength: 1024, rmsEps: 1e-5, ropeFreqBase: 10000 },
  /** karpathy's llama2.c stories15M. */
  'tiny-15m': { name: 'tiny-15m', dim: 288, nLayers: 6, nHeads: 6, nKVHeads: 6, ffnDim: 768, vocabSize: 32000, contextLength: 256, rmsEps: 1e-5, ropeFreqBase: 10000 },
  /** TinyLlama 1.1B. */
  'tinyllama-1.1b': { name: 'tinyllama-1.1b', dim: 2048, nLayers: 22, nHeads: 32, nKVHeads: 4, ffnDim: 5632, vocabSize: 32000, contextLength: 2048, rmsEps: 1e-5, ropeFreqBase: 10000 },
};

/** Parses `--shape`: a known name or a JSON object with ModelShape's fields (name optional). */
export function parseShape(spec: string): ModelShape {
  const known = SHAPES[spec];
  if (known) return known;
  if (!spec.trim().startsWith('{')) {
    throw new RangeError(`unknown shape "${spec}" (known: ${Object.keys(SHAPES).join(', ')}, or a JSON object)`);
  }
  let o: Partial<ModelShape>;
  try {
    o = JSON.parse(spec) as Partial<ModelShape>;
  } catch (e) {
    throw new RangeError(`shape is not valid JSON: ${(e as Error).message}`);
  }
  const need = ['dim', 'nLayers', 'nHeads', 'ffnDim', 'vocabSize'] as const;
  for (const k of need) {
    if (!Number.isInteger(o[k]) || (o[k] as number) <= 0) throw new RangeError(`shape field ${k} must be a positive integer`);
  }
  const s: ModelShape = {
    name: o.name ?? 'custom',
    dim: o.dim!,
    nLayers: o.nLayers!,
    nHeads: o.nHeads!,
    nKVHeads: o.nKVHeads ?? o.nHeads!,
    ffnDim: o.ffnDim!,
    vocabSize: o.vocabSize!,
    contextLength: o.contextLength ?? 2048,
    rmsEps: o.rmsEps ?? 1e-5,
    ropeFreqBase: o.ropeFreqBase ?? 10000,
  };
  if (s.dim % s.nHeads !== 0 || s.nHeads % s.nKVHeads !== 0) throw new RangeError('shape: dim must divide by nHeads and nHeads by nKVHeads');
  if (s.vocabSize < 259 + 3) throw new RangeError('shape: vocabSize must hold at least the 3 control and 256 byte tokens');
  return s;
}
